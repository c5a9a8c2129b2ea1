using System.Buffers;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Frontends.Http;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// Scores in this process the way <c>POST /v2/models/{m}/infer</c> does: the REST frontend's JSON
/// reader, the endpoint's router (so a canary, shadow or A/B test applies, sticky by the routing
/// key), and the REST frontend's JSON response writer.
/// </summary>
internal sealed class RouterScorer(InferenceRouter router) : IStreamScorer
{
    // The REST writer asks its output for 16 KB at a time (it writes into Kestrel's pooled pipe
    // memory): an ArrayBufferWriter made per message grew to that on every answer, 17 KB allocated,
    // cleared and collected per message, nine tenths of what the consumer allocated. Each thread reuses
    // one writer instead, and the answer leaves as a copy of its own size (the sink writes it later).
    // Nothing awaits between taking the writer and copying out, so no other call can share it.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _output;

    public async ValueTask<StreamScore> ScoreAsync(string endpoint, ReadOnlyMemory<byte> request, string? routingKey, CancellationToken cancellationToken)
    {
        var decoded = JsonInferenceRequestReader.Read(request, endpoint, modelVersion: null);
        if (!decoded.IsSuccess)
        {
            return StreamScore.Failed(decoded.Error);
        }

        var routed = await router.InferAsync(decoded.Value, new RouteHints(routingKey), cancellationToken).ConfigureAwait(false);
        if (!routed.Result.IsSuccess)
        {
            return StreamScore.Failed(routed.Result.Error);
        }

        var response = routed.Result.Value;
        return new StreamScore(Encode(response), response.ModelVersion, null);
    }

    /// <summary>The response's JSON, as the REST frontend writes it, in an array of its own.</summary>
    internal static byte[] Encode(InferenceResponse response)
    {
        var output = _output ??= new ArrayBufferWriter<byte>(InitialOutputBytes);
        output.ResetWrittenCount();
        JsonInferenceResponseWriter.Write(output, response);
        var answer = output.WrittenSpan.ToArray();
        if (output.Capacity > MaxKeptOutputBytes)
        {
            // A rare large answer does not keep its buffer with the thread.
            _output = null;
        }

        return answer;
    }

    /// <summary>The REST codec's own warm-up (the one <c>usher serve</c> runs at start): decoding and encoding in memory, no model, nothing counted.</summary>
    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        CodecWarmup.Run(MaxWarmUpTensorBytes);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A micro-batch's requests stack per version (<see cref="RequestStack"/>): each message is routed
    /// on its own (a canary still splits them by weight), and those that reach the same version run
    /// as one request of their rows when its model allows batching.
    /// </summary>
    public IDisposable? OpenBatch(CancellationToken cancellationToken) => RequestStack.Open(cancellationToken);

    private const long MaxWarmUpTensorBytes = 1024 * 1024;

    private const int InitialOutputBytes = 32 * 1024;

    private const int MaxKeptOutputBytes = 1024 * 1024;
}
