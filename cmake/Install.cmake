# Install.cmake - the CMake package of an installed catc: CatcConfig.cmake and its version file.
#
# Included at the end of the top-level CMakeLists.txt. catc, the runtime
# (lib/libcatrt.a, include/catrt.h) and the stdlib (share/catc/stdlib) are
# installed by their own directories; this file only adds
# <prefix>/lib/cmake/Catc, which find_package(Catc) searches. The directory
# names below must agree with those install rules and with the paths catc
# derives from its own location (compiler/Driver/Driver.cpp), because the
# tree is relocatable: nothing installed records the prefix.

include(CMakePackageConfigHelpers)

set(CATC_INSTALL_BINDIR bin)
set(CATC_INSTALL_LIBDIR lib)
set(CATC_INSTALL_INCLUDEDIR include)
set(CATC_INSTALL_STDLIBDIR share/catc/stdlib)
set(CATC_INSTALL_CMAKEDIR lib/cmake/Catc)

set(CATC_PACKAGE_BUILD_DIR ${CMAKE_BINARY_DIR}/cmake/package)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/CatcConfig.cmake.in
  ${CATC_PACKAGE_BUILD_DIR}/CatcConfig.cmake
  INSTALL_DESTINATION ${CATC_INSTALL_CMAKEDIR}
  PATH_VARS CATC_INSTALL_BINDIR CATC_INSTALL_LIBDIR CATC_INSTALL_INCLUDEDIR CATC_INSTALL_STDLIBDIR)

# Before 1.0 a minor release may change the language or the C interface, so
# 0.1 satisfies requests for 0.1.x only. ARCH_INDEPENDENT: catc is a host
# tool that cross-compiles, so a project building for a 32-bit target (where
# CMAKE_SIZEOF_VOID_P differs from the host's) must still find it.
write_basic_package_version_file(
  ${CATC_PACKAGE_BUILD_DIR}/CatcConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)

install(FILES
  ${CATC_PACKAGE_BUILD_DIR}/CatcConfig.cmake
  ${CATC_PACKAGE_BUILD_DIR}/CatcConfigVersion.cmake
  DESTINATION ${CATC_INSTALL_CMAKEDIR})
