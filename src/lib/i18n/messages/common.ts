import { defineMessages } from '../define.js';

export const common = defineMessages(
  {
    'app.name': 'Mesh Rooms',
    'app.tagline': 'Rooms in your browser, peer to peer. Be in several rooms at once, each with its own members, chat, audio and video.',
    'language.label': 'Language',
    'theme.label': 'Theme',
    'theme.system': 'System',
    'theme.light': 'Light',
    'theme.dark': 'Dark',
    'app.load-failed': 'Could not load the rooms view ({detail}). Check your connection and reload the page.',
    'action.close': 'Close',
    'action.cancel': 'Cancel',
    'action.retry': 'Try again',
    'action.dismiss': 'Dismiss',
  },
  {
    'app.name': 'Mesh Rooms',
    'app.tagline': '浏览器里的点对点房间。可以同时身处多个房间，每个房间都有自己的成员、聊天、音频和视频。',
    'language.label': '语言',
    'theme.label': '主题',
    'theme.system': '跟随系统',
    'theme.light': '浅色',
    'theme.dark': '深色',
    'app.load-failed': '无法加载房间视图（{detail}）。请检查网络后重新加载页面。',
    'action.close': '关闭',
    'action.cancel': '取消',
    'action.retry': '重试',
    'action.dismiss': '知道了',
  },
);
