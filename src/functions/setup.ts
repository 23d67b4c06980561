import functions from '@azure/functions';

// Imported first by the app entry, before any function is registered. With HTTP streaming the Functions host
// proxies the request to the worker instead of buffering the whole body into the invocation message, so the MCP
// handler's MCP_MAX_BODY_BYTES limit applies before anything is buffered (the host takes ~100 MB otherwise). The
// request body becomes a stream (our adapter passes it on as one); responses we return as bodies are streamed back.
functions.app.setup({ enableHttpStream: true });
