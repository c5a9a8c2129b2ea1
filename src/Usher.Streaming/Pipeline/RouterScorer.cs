using System.Buffers;
using Usher.Core.Routing;
using Usher.Server.Frontends.Http;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// Scores in this process the way <c>POST /v2/models/{m}/infer</c> does: the REST frontend's JSON
/// reader, the endpoint's router (so a canary, shadow or A/B test applies, sticky by the routing
/// key), and the REST frontend's JSON response writer.
/// </summary>
internal sealed class RouterScorer(InferenceRouter router) : IStreamScorer
{
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
        var buffer = new ArrayBufferWriter<byte>(512);
        JsonInferenceResponseWriter.Write(buffer, response);
        return new StreamScore(buffer.WrittenMemory, response.ModelVersion, null);
    }

    /// <summary>The REST codec's own warm-up (the one <c>usher serve</c> runs at start): decoding and encoding in memory, no model, nothing counted.</summary>
    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        CodecWarmup.Run(MaxWarmUpTensorBytes);
        return ValueTask.CompletedTask;
    }

    private const long MaxWarmUpTensorBytes = 1024 * 1024;
}
