// The game server. Add its host to the socket domain list of the game's settings on the platform.
module.exports = {
  url: 'wss://game.example.com/ws',
  socketDomains: ['game.example.com'],
  skipDomainCheck: false,
};
