# Packaging cannot rot: install the build into a staging prefix, check what landed, then
# configure and build every example as a standalone project against that install only.
#   cmake -DBUILD_DIR=… -DSOURCE_DIR=… -DWORK_DIR=… -P tests/packaging.cmake
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR)
    if(NOT ${v})
        message(FATAL_ERROR "packaging.cmake: -D${v}= is required")
    endif()
endforeach()
set(stage ${WORK_DIR}/stage)
file(REMOVE_RECURSE ${WORK_DIR})

function(run what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
    endif()
    message(STATUS "${what}: ok")
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${stage})

include(GNUInstallDirs)
foreach(f
        ${CMAKE_INSTALL_INCLUDEDIR}/conclave/client.h
        ${CMAKE_INSTALL_INCLUDEDIR}/conclave/elector.h
        ${CMAKE_INSTALL_INCLUDEDIR}/conclave/electiondirectory.h
        ${CMAKE_INSTALL_INCLUDEDIR}/conclave/conclave_export.h
        ${CMAKE_INSTALL_INCLUDEDIR}/conclave/conclave_version.h
        ${CMAKE_INSTALL_LIBDIR}/libconclave.so.0
        ${CMAKE_INSTALL_LIBDIR}/cmake/Conclave/ConclaveConfig.cmake
        ${CMAKE_INSTALL_LIBDIR}/cmake/Conclave/ConclaveConfigVersion.cmake
        ${CMAKE_INSTALL_LIBDIR}/cmake/Conclave/ConclaveTargets.cmake
        ${CMAKE_INSTALL_LIBDIR}/pkgconfig/conclave.pc
        ${CMAKE_INSTALL_BINDIR}/conclave-monitor
        ${CMAKE_INSTALL_BINDIR}/conclave-candidate
        ${CMAKE_INSTALL_DATADIR}/applications/conclave-monitor.desktop
        ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps/conclave-monitor.svg
        ${CMAKE_INSTALL_MANDIR}/man1/conclave-monitor.1
        ${CMAKE_INSTALL_MANDIR}/man1/conclave-candidate.1)
    if(NOT EXISTS ${stage}/${f})
        message(FATAL_ERROR "not installed: ${f}")
    endif()
endforeach()
# The QML module, where the build put it (QML_DIR: CONCLAVE_INSTALL_QMLDIR; empty without one).
if(QML_DIR)
    foreach(f qmldir conclave_qml.qmltypes libconclave_qmlplugin.so)
        if(NOT EXISTS ${stage}/${QML_DIR}/Conclave/${f})
            message(FATAL_ERROR "not installed: ${QML_DIR}/Conclave/${f}")
        endif()
    endforeach()
endif()
# Private headers stay private.
file(GLOB_RECURSE leaked ${stage}/${CMAKE_INSTALL_INCLUDEDIR}/*_p.h ${stage}/${CMAKE_INSTALL_INCLUDEDIR}/*/codec.h)
if(leaked)
    message(FATAL_ERROR "private headers installed: ${leaked}")
endif()
message(STATUS "installed files: ok")

# Installed programs start from any prefix, with nothing on the library path.
foreach(program conclave-candidate conclave-monitor)
    run("installed ${program} --help with no LD_LIBRARY_PATH"
        ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH QT_QPA_PLATFORM=offscreen
        ${stage}/${CMAKE_INSTALL_BINDIR}/${program} --help)
endforeach()

find_program(NINJA ninja)
set(generator)
if(NINJA)
    set(generator -G Ninja)
endif()
foreach(example minimal worker widgets candidate)
    run("configure examples/${example} against the install"
        ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${example} -B ${WORK_DIR}/${example} ${generator}
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${stage} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
        -DCMAKE_CXX_FLAGS=-Werror)
    run("build examples/${example}" ${CMAKE_COMMAND} --build ${WORK_DIR}/${example} -j2)
endforeach()
# A consumer's binary runs against the staged library.
run("run the consumer-built conclave-candidate --help" ${WORK_DIR}/candidate/conclave-candidate --help)

# pkg-config alone: examples/minimal compiled and linked with nothing but
# `pkg-config --cflags --libs conclave` (and -fPIC, which Qt 6 requires of its users), then run
# against the staged library: with a bad endpoint it must stop with the library's own message.
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
    message(FATAL_ERROR "pkg-config not found (Debian package pkgconf; the scripts install it)")
endif()
set(ENV{PKG_CONFIG_PATH} ${stage}/${CMAKE_INSTALL_LIBDIR}/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs conclave RESULT_VARIABLE rc OUTPUT_VARIABLE pcflags ERROR_VARIABLE pcerr
    OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs conclave failed: ${pcerr}")
endif()
if(NOT pcflags MATCHES "-I${stage}/${CMAKE_INSTALL_INCLUDEDIR}" OR NOT pcflags MATCHES "-L${stage}/${CMAKE_INSTALL_LIBDIR} -lconclave")
    message(FATAL_ERROR "conclave.pc does not name the staged install: ${pcflags}")
endif()
separate_arguments(pcflags UNIX_COMMAND "${pcflags}")
file(MAKE_DIRECTORY ${WORK_DIR}/pkgconfig)
run("build examples/minimal with pkg-config alone"
    c++ -std=c++17 -fPIC -Werror ${SOURCE_DIR}/examples/minimal/main.cpp ${pcflags} -o ${WORK_DIR}/pkgconfig/conclave-minimal)
execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${stage}/${CMAKE_INSTALL_LIBDIR} ETCDCTL_ENDPOINTS=ftp://nowhere
    ${WORK_DIR}/pkgconfig/conclave-minimal RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "ftp://nowhere")
    message(FATAL_ERROR "the pkg-config-built minimal example did not refuse a bad endpoint (${rc}): ${out}")
endif()
message(STATUS "pkg-config consumer: ok (${out})")

# The version file refuses an incompatible major version.
file(WRITE ${WORK_DIR}/wants-v1/CMakeLists.txt
    "cmake_minimum_required(VERSION 3.25)\nproject(wants_v1 LANGUAGES CXX)\nfind_package(Conclave 1.0 REQUIRED)\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK_DIR}/wants-v1 -B ${WORK_DIR}/wants-v1/build
    -DCMAKE_PREFIX_PATH=${stage} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
    message(FATAL_ERROR "find_package(Conclave 1.0) succeeded against version 0.x")
endif()
message(STATUS "version check: ok")
