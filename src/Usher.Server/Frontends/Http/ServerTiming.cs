using System.Globalization;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The <c>Server-Timing</c> header of an inference response, in milliseconds:
/// <c>queue;dur=0.012, compute;dur=0.841, total;dur=0.903</c>, plus <c>cache;desc="hit"</c> on a
/// cache hit. <c>total</c> is the request's one measurement (<see cref="InferenceTimings.Total"/>):
/// from the start of the handler to the version's answer, the same figure <c>/metrics</c> and the
/// rollout analysis record; what is neither queue nor compute is the server's own overhead (reading,
/// decoding, routing, validation). With <c>server.timing_stages</c> on, that overhead is split further
/// (<see cref="Format(InferenceTimings, in TimingStages)"/>).
/// </summary>
internal static class ServerTiming
{
    private const string CacheHit = ", cache;desc=\"hit\"";

    public static string Format(InferenceTimings timings)
    {
        var total = timings.Total;
        if (timings.Queue < TimeSpan.Zero || timings.Compute < TimeSpan.Zero || total < TimeSpan.Zero)
        {
            return FormatWithNumberFormat(timings);
        }

        // Every request writes this header: formatting three doubles with the custom format
        // "0.###" cost more than the rest of the header, so the milliseconds are written from ticks.
        Span<char> text = stackalloc char[160];
        var length = 0;
        Append(text, ref length, "queue;dur=");
        AppendMilliseconds(text, ref length, timings.Queue);
        Append(text, ref length, ", compute;dur=");
        AppendMilliseconds(text, ref length, timings.Compute);
        Append(text, ref length, ", total;dur=");
        AppendMilliseconds(text, ref length, total);
        if (timings.CacheHit)
        {
            Append(text, ref length, CacheHit);
        }

        return new string(text[..length]);
    }

    /// <summary>
    /// The header of <see cref="Format(InferenceTimings)"/> followed by the overhead's stages, which add
    /// up to it: <c>read</c> (handler start to body read: route values, headers, the body's bytes),
    /// <c>decode</c> (the body to a request) and <c>run</c> (the rest of <c>total</c> less queue and
    /// compute: choosing the variant, the version's lease, validation, the batcher's bookkeeping,
    /// per-version metrics, naming the outputs). A stage that the clocks make negative (a version that
    /// measures on a clock of its own) is written as 0.
    /// </summary>
    public static string Format(InferenceTimings timings, in TimingStages stages)
    {
        static TimeSpan NotNegative(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;

        Span<char> text = stackalloc char[120];
        var length = 0;
        Append(text, ref length, ", read;dur=");
        AppendMilliseconds(text, ref length, NotNegative(stages.Read));
        Append(text, ref length, ", decode;dur=");
        AppendMilliseconds(text, ref length, NotNegative(stages.Decode));
        Append(text, ref length, ", run;dur=");
        AppendMilliseconds(text, ref length, NotNegative(timings.Total - stages.Read - stages.Decode - timings.Queue - timings.Compute));
        return string.Concat(Format(timings), text[..length]);
    }

    /// <summary>The same header through .NET's number formatting (<c>0.###</c> of each duration's milliseconds).</summary>
    internal static string FormatWithNumberFormat(InferenceTimings timings)
    {
        var total = timings.Total;
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"queue;dur={timings.Queue.TotalMilliseconds:0.###}, compute;dur={timings.Compute.TotalMilliseconds:0.###}, total;dur={total.TotalMilliseconds:0.###}");
        return timings.CacheHit ? text + CacheHit : text;
    }

    private static void Append(Span<char> text, ref int length, string value)
    {
        value.CopyTo(text[length..]);
        length += value.Length;
    }

    // What "0.###" writes for a non-negative duration's milliseconds: rounded to the microsecond,
    // half away from zero (a tick is 100 ns), without trailing zeros after the point.
    private static void AppendMilliseconds(Span<char> text, ref int length, TimeSpan duration)
    {
        var micros = (duration.Ticks + 5) / 10;
        var whole = micros / 1000;
        var fraction = (int)(micros % 1000);
        whole.TryFormat(text[length..], out var written, provider: CultureInfo.InvariantCulture);
        length += written;
        if (fraction == 0)
        {
            return;
        }

        text[length++] = '.';
        var digits = 3;
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }

        for (var i = digits - 1; i >= 0; i--)
        {
            text[length + i] = (char)('0' + (fraction % 10));
            fraction /= 10;
        }

        length += digits;
    }
}
