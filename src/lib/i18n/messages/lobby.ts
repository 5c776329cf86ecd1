import { defineMessages } from '../define.js';

export const lobby = defineMessages({}, {});
