namespace Usher.Streaming.Pipeline;

/// <summary>
/// A stream's part of the warm-up before it reads: the request scan and the answers' JSON, run on a
/// small request in memory until the first calls' one-off costs are paid (as the REST codec's
/// warm-up does for the server). Without it the first message of a stream that starts mid-flow pays
/// them, and the messages queued behind it wait with it.
/// </summary>
internal static class StreamScorerWarmUp
{
    /// <summary>Rounds: enough for the first calls' costs to be paid here.</summary>
    public const int Rounds = 32;

    private static readonly byte[] Request =
        """{"id":"warmup","model_name":"warmup","parameters":{"user_id":"u1"},"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[0.5,1]}]}"""u8.ToArray();

    private static readonly byte[] Response =
        """{"model_name":"warmup","model_version":"1","id":"warmup","outputs":[{"name":"y","shape":[1,2],"datatype":"FP32","data":[0.25,0.75]}]}"""u8.ToArray();

    /// <summary>Runs the rounds for a stream on <paramref name="endpoint"/> with its routing key path; throws on a bug.</summary>
    public static void Run(string endpoint, IReadOnlyList<string>? keyPath)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var scan = RequestScan.Read(Request, keyPath);
            if (scan.Malformed is { } malformed)
            {
                throw new InvalidOperationException($"the stream warm-up request did not scan: {malformed}");
            }

            _ = AnswerJson.Write(new StreamAnswer { SourceId = "warmup", Endpoint = endpoint, ModelVersion = 1, Response = Response, Attempts = 1 });
            _ = AnswerJson.Write(new StreamAnswer { SourceId = "warmup", Endpoint = endpoint, Error = "warm-up", Reason = "invalid", Attempts = 1, Request = Request });
        }
    }
}
