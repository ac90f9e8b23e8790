// A JavaScript library linked only into the web test drivers (never into the package or libttsocket):
// lets tests/web/driver.c read how many socket slots web/library_ttsocket.js has ever made, so that a
// test fails if closed sockets' slots stop being reused.
(typeof addToLibrary === 'function' ? addToLibrary : function (lib) { mergeInto(LibraryManager.library, lib); })({
  // The highest socket id handed out so far (slot 0 is never used).
  tt_test_socket_slots__deps: ['$TTWEB'],
  tt_test_socket_slots: function () {
    return TTWEB.sockets.length - 1;
  },
});
