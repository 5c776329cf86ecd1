import { defineMessages } from '../define.js';

export const errors = defineMessages({}, {});
