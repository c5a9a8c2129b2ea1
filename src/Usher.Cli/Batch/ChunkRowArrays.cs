namespace Usher.Cli.Batch;

/// <summary>The per-row arrays of the chunks of one run (kept values, errors), reused from chunk to chunk.</summary>
/// <param name="Kept">Arrays of kept values, one per kept column of a chunk.</param>
/// <param name="Errors">Arrays of errors, one per chunk.</param>
internal sealed record ChunkRowArrays(RowArrayPool<object?> Kept, RowArrayPool<string?> Errors)
{
    /// <summary>Pools for chunks of <paramref name="chunkRows"/> rows, keeping as many arrays as <paramref name="chunks"/> chunks use.</summary>
    public static ChunkRowArrays For(int chunkRows, int keptColumns, int chunks)
        => new(new RowArrayPool<object?>(chunkRows, chunks * keptColumns), new RowArrayPool<string?>(chunkRows, chunks));
}
