/** A guest image or boot option the loaders cannot use; the message is one line for the user. */
export class BootError extends Error {}
