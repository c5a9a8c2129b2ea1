namespace Usher.Cli.Batch;

/// <summary>An input file, read as chunks of rows.</summary>
internal interface IRowSource : IAsyncDisposable
{
    /// <summary>The file's columns.</summary>
    IReadOnlyList<SourceColumn> Columns { get; }

    /// <summary>Data rows in the file.</summary>
    long RowCount { get; }

    /// <summary>
    /// The row ranges that shards split at: for Parquet the row groups' first rows (so that a shard
    /// takes whole row groups), null when any row may start a shard (CSV, JSONL: line ranges).
    /// </summary>
    IReadOnlyList<long>? ShardBoundaries { get; }

    /// <summary>
    /// Reads rows [<paramref name="start"/>, <paramref name="end"/>) into <paramref name="chunks"/>
    /// (which cuts them into chunks and sends each on, waiting while the pipeline is full), then completes it.
    /// </summary>
    Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken);
}
