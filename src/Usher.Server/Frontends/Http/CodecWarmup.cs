using System.Buffers;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The REST codec's part of the warm-up at start: decodes a small JSON request (FP32 and INT64
/// tensors, the common case) and encodes its answer with its <c>Server-Timing</c> header, in memory,
/// before any model loads. Each version's own pipeline warms up as it loads
/// (<c>ModelVersionLoader</c>); this covers the frontend's decoding and encoding, which no model
/// load reaches. Nothing is served, counted or reserved: no model, no metrics, no memory budget.
/// </summary>
internal static class CodecWarmup
{
    /// <summary>Decode-encode rounds: enough for the first calls' one-off costs to be paid here.</summary>
    public const int Rounds = 32;

    private static readonly byte[] Body =
        """{"id":"warmup","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[0.25,-1.5,3,1e-3]},{"name":"i","shape":[2],"datatype":"INT64","data":[1,-2]}]}"""u8.ToArray();

    /// <summary>Runs the rounds; returns the last answer's JSON (for tests), or throws on a codec bug.</summary>
    public static string Run(long maxTensorBytes)
    {
        var output = new ArrayBufferWriter<byte>(512);
        for (var round = 0; round < Rounds; round++)
        {
            using var memory = RequestMemory.Unbounded(maxTensorBytes);
            var request = JsonInferenceRequestReader.Read(Body, "warmup", null, memory);
            if (!request.IsSuccess)
            {
                throw new InvalidOperationException($"the codec warm-up request did not decode: {request.Error.Message}");
            }

            var timings = new InferenceTimings(TimeSpan.FromTicks(round), TimeSpan.FromTicks(round), CacheHit: false, TimeSpan.FromTicks(2 * round));
            var response = new InferenceResponse { ModelName = "warmup", ModelVersion = 1, Id = request.Value.Id, Outputs = request.Value.Inputs, Timings = timings };
            output.ResetWrittenCount();
            JsonInferenceResponseWriter.Write(output, response);
            _ = ServerTiming.Format(timings);
        }

        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
