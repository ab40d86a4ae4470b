#!/usr/bin/env bash
# Builds tests/model/score_tool.c against $BUILD/libsluice.a (sanitized when
# $BUILD is the ASan build) into $1. Shared by the 4*-model-*.sh tests.
set -eu
out=$1
san=()
case "$BUILD" in */asan) san=(-fsanitize=address,undefined -fno-omit-frame-pointer) ;; esac
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O1 -g "${san[@]}" -I"$ROOT/include" -I"$ROOT/src" \
   -o "$out" "$ROOT/tests/model/score_tool.c" "$BUILD/libsluice.a" $libs
