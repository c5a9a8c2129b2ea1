namespace Usher.Server.Frontends.Http;

/// <summary>
/// An upper bound on the memory <see cref="System.Text.Json.JsonDocument"/> takes to parse a body, known
/// before parsing so that it can be reserved: the document keeps a 12-byte row per token, in an array
/// that doubles as it grows. A body of "1,1,1,..." costs six times its size, which is what made a
/// large request of the wrong shape take gigabytes before it was refused.
/// </summary>
internal static class JsonDocumentCost
{
    private const int BytesPerRow = 12;

    /// <summary>Below this size the body's own length bounds the rows closely enough; above, they are counted.</summary>
    private const int CountAbove = 64 * 1024;

    /// <summary>Bytes to reserve before parsing <paramref name="utf8Json"/>: twice the rows' size, for the array's doubling.</summary>
    public static long Estimate(ReadOnlySpan<byte> utf8Json)
        => 2L * BytesPerRow * Rows(utf8Json);

    /// <summary>
    /// At most how many rows the document needs. Every value or property name follows the start, a
    /// ':', a ',' or a '['; every array or object takes two rows (start and end) beside that. Bytes
    /// inside strings only make the bound looser. A short body is bounded by its length, since every
    /// row has at least one byte of its own.
    /// </summary>
    public static long Rows(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length <= CountAbove)
        {
            return utf8Json.Length + 1L;
        }

        // Each Count is one vectorised pass; together far cheaper than the parse they precede.
        long containers = (long)utf8Json.Count((byte)'[') + utf8Json.Count((byte)'{');
        return 1L + utf8Json.Count((byte)':') + utf8Json.Count((byte)',') + (3 * containers);
    }
}
