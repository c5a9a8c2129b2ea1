using System.Globalization;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The <c>Server-Timing</c> header of an inference response, in milliseconds:
/// <c>queue;dur=0.012, compute;dur=0.841, total;dur=0.903</c>, plus <c>cache;desc="hit"</c> on a
/// cache hit. <c>total</c> runs from the start of the handler to the start of the response;
/// what is neither queue nor compute is the server's own overhead (decoding, validation, routing).
/// </summary>
internal static class ServerTiming
{
    public static string Format(InferenceTimings timings, TimeSpan total)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"queue;dur={timings.Queue.TotalMilliseconds:0.###}, compute;dur={timings.Compute.TotalMilliseconds:0.###}, total;dur={total.TotalMilliseconds:0.###}");
        return timings.CacheHit ? text + ", cache;desc=\"hit\"" : text;
    }
}
