# Debian packages (make package, or cpack -G DEB in a configured build): one per install component.
#   libttsocketN     runtime: libttsocket.so.N and libttsocket.so.N.x.y (N = TT_SOVERSION), with a shlibs
#                    file so packages built against it depend on libttsocketN (>= the version they saw)
#   libttsocket-dev  the header, libttsocket.so, libttsocket.a, ttsocket.pc and the CMake package
#   ttws             the command-line client
# The runtime and ttws dependencies (libc6, libssl3, zlib1g, libttsocketN) come from dpkg-shlibdeps;
# the -dev package needs what the static library and the CMake package's find_dependency() need.
# Build them from a build configured for /usr (the `package` preset) so the libraries land in the
# multiarch directory.
set(TT_PACKAGE_MAINTAINER "ttsocket maintainers <ttsocket@localhost>" CACHE STRING
  "Maintainer field of the .deb packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ttsocket)
set(CPACK_PACKAGE_VENDOR ttsocket)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "tt.connectSocket / SocketTask for C and C++")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev tools)
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(TT_DEB_RUNTIME libttsocket${TT_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${TT_DEB_RUNTIME})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # a shlibs file for every package with a shared library
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "tt.connectSocket / SocketTask for C and C++ - shared library
 The Douyin mini-game network API (tt.connectSocket / SocketTask) over RFC 6455 WebSockets,
 non-blocking sockets and OpenSSL, with the behaviour of the browser build.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libttsocket-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "${TT_DEB_RUNTIME} (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}), libssl-dev, zlib1g-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "tt.connectSocket / SocketTask for C and C++ - development files
 The header, the static library, ttsocket.pc for pkg-config and the CMake package
 (find_package(ttsocket): ttsocket::ttsocket and ttsocket::ttsocket_static).")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ttws)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_COMPONENT_TOOLS_DEPENDS runtime)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "WebSocket command-line client built on ttsocket
 Connects, prints every event as one line and sends stdin lines as text messages.")

include(CPack)
