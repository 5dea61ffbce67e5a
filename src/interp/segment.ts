import type { HandlerFactory } from "./registry.js";

export const handlers: Record<string, HandlerFactory> = {};
