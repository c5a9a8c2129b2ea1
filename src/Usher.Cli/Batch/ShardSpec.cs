using System.Globalization;

namespace Usher.Cli.Batch;

/// <summary>
/// <c>--shard I/N</c>: this process scores the I-th of N contiguous, deterministic parts of the
/// input (0-based, as Kubernetes' <c>JOB_COMPLETION_INDEX</c>).
/// </summary>
/// <param name="Index">The part, from 0 to <paramref name="Count"/> - 1.</param>
/// <param name="Count">The number of parts.</param>
internal readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>The whole input.</summary>
    public static ShardSpec Whole => new(0, 1);

    /// <summary>True when this is the whole input.</summary>
    public bool IsWhole => Count == 1;

    /// <summary>Parses <c>I/N</c>; null with a message when it does not parse.</summary>
    public static ShardSpec? Parse(string text, out string? problem)
    {
        problem = null;
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index < count)
        {
            return new ShardSpec(index, count);
        }

        problem = $"--shard: expected I/N with 0 <= I < N (such as 0/4, or $JOB_COMPLETION_INDEX/4), got '{text}'";
        return null;
    }

    /// <summary>
    /// The half-open range of units (rows or row groups) this shard takes out of <paramref name="total"/>:
    /// units [I*total/N, (I+1)*total/N), so the shards cover every unit once, in order.
    /// </summary>
    public (long Start, long End) Range(long total) => (total * Index / Count, total * (Index + 1) / Count);

    /// <inheritdoc />
    public override string ToString() => $"{Index.ToString(CultureInfo.InvariantCulture)}/{Count.ToString(CultureInfo.InvariantCulture)}";
}
