using Usher.Core.Models;
using Usher.Engine;

namespace Usher.Cli.Profile;

/// <summary>A point's version loaded in an engine of its own, with the memory readings around the load.</summary>
/// <param name="Engine">The engine serving the point's scratch repository.</param>
/// <param name="Config">The point, with the default's effective instances, threads and batch size filled in.</param>
/// <param name="Signature">The version's inputs, outputs and <c>max_batch_size</c>.</param>
/// <param name="RssBefore">This process's RSS before the load, bytes.</param>
/// <param name="RssLoaded">RSS once the version was loaded and warmed up, bytes.</param>
internal sealed record LoadedPoint(UsherEngine Engine, PointConfig Config, ModelSignature Signature, long RssBefore, long RssLoaded) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
