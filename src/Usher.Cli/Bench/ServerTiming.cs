using System.Globalization;
using System.Net.Http.Headers;

namespace Usher.Cli.Bench;

/// <summary>
/// Reads the <c>queue</c>, <c>compute</c> and <c>total</c> entries of a <c>Server-Timing</c> header
/// (<c>queue;dur=0.12, compute;dur=1.5, total;dur=1.9</c>, durations in milliseconds).
/// </summary>
internal static class ServerTiming
{
    public const string HeaderName = "Server-Timing";

    /// <summary>
    /// The queue, compute and total durations; null when the response has no <c>Server-Timing</c>
    /// header or the header has no <c>total</c> entry (a missing queue or compute entry counts as 0).
    /// </summary>
    public static ServerSplit? Read(HttpResponseHeaders headers)
    {
        // NonValidated: no parsing into header objects, no allocations beyond the raw strings.
        if (!headers.NonValidated.TryGetValues(HeaderName, out var values))
        {
            return null;
        }

        double? total = null;
        var hit = false;
        var queue = 0.0;
        var compute = 0.0;
        foreach (var value in values)
        {
            var rest = value.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var entry = comma < 0 ? rest : rest[..comma];
                hit |= entry.Trim().StartsWith("cache;", StringComparison.Ordinal) && entry.Contains("\"hit\"", StringComparison.Ordinal);
                rest = comma < 0 ? [] : rest[(comma + 1)..];
                if (TryParseEntry(entry, out var name, out var duration))
                {
                    switch (name)
                    {
                        case "total": total = duration; break;
                        case "queue": queue = duration; break;
                        case "compute": compute = duration; break;
                    }
                }
            }
        }

        return total is { } t ? new ServerSplit(queue, compute, t, hit) : null;
    }

    /// <summary>Parses <c>name;dur=1.5</c> (other parameters, such as <c>desc</c>, are skipped).</summary>
    internal static bool TryParseEntry(ReadOnlySpan<char> entry, out string name, out double duration)
    {
        name = string.Empty;
        duration = 0;
        var semicolon = entry.IndexOf(';');
        if (semicolon < 0)
        {
            return false;
        }

        var metric = entry[..semicolon].Trim();
        name = metric switch
        {
            "total" => "total",
            "queue" => "queue",
            "compute" => "compute",
            _ => string.Empty,
        };
        if (name.Length == 0)
        {
            return false;
        }

        var parameters = entry[(semicolon + 1)..];
        while (!parameters.IsEmpty)
        {
            var next = parameters.IndexOf(';');
            var parameter = (next < 0 ? parameters : parameters[..next]).Trim();
            parameters = next < 0 ? [] : parameters[(next + 1)..];
            if (parameter.StartsWith("dur=", StringComparison.OrdinalIgnoreCase))
            {
                return double.TryParse(parameter[4..], NumberStyles.Float, CultureInfo.InvariantCulture, out duration);
            }
        }

        return false;
    }
}
