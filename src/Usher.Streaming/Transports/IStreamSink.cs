using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports;

/// <summary>Where answers (or dead letters) go. A write that returns has been accepted by the broker.</summary>
internal interface IStreamSink : IAsyncDisposable
{
    /// <summary>Writes <paramref name="answers"/>; throws when they could not all be written (the batch is retried).</summary>
    ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken);
}
