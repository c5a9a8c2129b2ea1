using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The names of a request's input tensors as strings, taken from the last few names this thread decoded
/// when the bytes are the same: a client sends the same names with every request, and a name decoded
/// again costs a transcode and a string per input. Names are immutable strings, so sharing one between
/// requests is safe; an escaped or long name is decoded as before and not kept.
/// </summary>
internal static class InputNames
{
    private const int Kept = 4;
    private const int MaxKeptBytes = 64;

    [ThreadStatic]
    private static Entry[]? t_names;

    [ThreadStatic]
    private static int t_next;

    /// <summary>The string value <paramref name="reader"/> is on; false for text that is not valid UTF-8, as <see cref="JsonSlice.TryGetString(ref Utf8JsonReader, out string?)"/>.</summary>
    public static bool TryGet(ref Utf8JsonReader reader, [NotNullWhen(true)] out string? name)
    {
        var keep = !reader.ValueIsEscaped && reader.ValueSpan.Length <= MaxKeptBytes;
        var names = t_names;
        if (keep && names is not null)
        {
            var bytes = reader.ValueSpan;
            foreach (var entry in names)
            {
                if (entry.Utf8 is { } utf8 && bytes.SequenceEqual(utf8))
                {
                    name = entry.Name;
                    return true;
                }
            }
        }

        if (!JsonSlice.TryGetString(ref reader, out name))
        {
            return false;
        }

        if (keep)
        {
            names ??= t_names = new Entry[Kept];
            names[t_next] = new Entry(reader.ValueSpan.ToArray(), name);
            t_next = (t_next + 1) % Kept;
        }

        return true;
    }

    private readonly record struct Entry(byte[]? Utf8, string Name);
}
