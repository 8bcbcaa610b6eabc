// `import Lunar` is all a plugin, an embedding app or the CLI needs (docs/plugins.md): the
// types of the layers below that the public API hands out or takes are re-exported here.
@_exported import LunarData
@_exported import LunarDeps
@_exported import LunarGraph
@_exported import LunarHistory
@_exported import LunarKernels
@_exported import LunarManifest
@_exported import LunarParquet
@_exported import LunarReport
@_exported import LunarScript
@_exported import LunarSim
