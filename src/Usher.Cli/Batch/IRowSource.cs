using System.Threading.Channels;

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
    /// Reads rows [<paramref name="start"/>, <paramref name="end"/>) as chunks of
    /// <paramref name="chunkRows"/> rows numbered from <paramref name="firstChunk"/>, into <paramref name="output"/>.
    /// </summary>
    Task ReadAsync(long start, long end, int chunkRows, long firstChunk, ColumnMapping mapping, ChannelWriter<RowChunk> output, CancellationToken cancellationToken);
}
