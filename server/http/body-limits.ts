// How large a request body each kind of route reads. Most API bodies are a few fields (a
// path, cell ids, a name), so the default is small; only saving a file's contents carries
// the file itself, and a notebook with many images can run to tens of MB.

export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;
export const CONTENTS_BODY_LIMIT = 256 * 1024 * 1024;
