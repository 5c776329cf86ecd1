import { defineMessages } from '../define.js';

export const breakout = defineMessages({}, {});
