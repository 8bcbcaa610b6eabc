// The compression libraries Parquet's codecs need, from Debian's -dev packages
// (libsnappy-dev, libzstd-dev, zlib1g-dev; scripts/install-deps.sh). Their C APIs are used
// as they are; LunarParquet/Codecs.swift is the only caller.
#include <snappy-c.h>
#include <zstd.h>
#include <zlib.h>
