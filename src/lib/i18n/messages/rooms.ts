import { defineMessages } from '../define.js';

export const rooms = defineMessages({}, {});
