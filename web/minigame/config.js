// The echo server the demo client's players connect to (any WebSocket server that echoes each message with
// its type, e.g. web/demo/serve.mjs's /echo). Add its host to the socket domain list of the game's settings
// on the platform; the demo client itself runs in development mode (skip_domain_check).
module.exports = {
  url: 'wss://game.example.com/echo',
};
