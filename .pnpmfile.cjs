// @confluentinc/kafka-javascript (a devDependency of @linkpulse/transports) builds from
// source when its prebuilt binary cannot be downloaded from GitHub, and that build by
// default downloads the sources of OpenSSL, zlib, zstd and curl too. Where GitHub is out of
// reach, that fails the whole install; link librdkafka against the system's libssl and
// zlib instead (Debian: libssl-dev, zlib1g-dev). Lifecycle scripts inherit pnpm's environment.
process.env.CKJS_LINKING ??= 'dynamic';

module.exports = {};
