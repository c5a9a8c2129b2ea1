using System.Buffers;
using System.Threading.Channels;

namespace Usher.Cli.Batch;

/// <summary>
/// The chunk loop every <see cref="IRowSource"/> shares: rows are filled into the current chunk,
/// which goes to the pipeline when it holds <c>chunkRows</c> rows; the last, partial one goes when
/// the source ends. Chunks are numbered from the first chunk of the run; their value buffers come
/// from <paramref name="values"/>, the pipeline's pool.
/// </summary>
internal sealed class ChunkBuilder(long firstChunk, int chunkRows, ColumnMapping mapping, ArrayPool<byte> values, ChannelWriter<RowChunk> output)
{
    // Per-row arrays given back by the pipeline once a chunk is encoded (RowChunk.ReturnRows): at most as many as chunks can be alive.
    private readonly ChunkRowArrays _rows = ChunkRowArrays.For(chunkRows, mapping.Keep.Count, BatchPipeline.MaxChunks);
    private long _index = firstChunk;
    private RowChunk? _chunk;

    /// <summary>The chunk that input row <paramref name="row"/> (0-based in the file) goes into; the source fills it, then calls <see cref="RowDoneAsync"/>.</summary>
    public RowChunk For(long row) => _chunk ??= RowChunk.Create(_index, row, chunkRows, mapping, values, _rows);

    /// <summary>Sends the current chunk on once it is full (waiting while the pipeline is two chunks behind).</summary>
    public ValueTask RowDoneAsync(CancellationToken cancellationToken)
    {
        if (_chunk is not { } chunk || chunk.Rows < chunkRows)
        {
            return ValueTask.CompletedTask;
        }

        _chunk = null;
        _index++;
        return output.WriteAsync(chunk, cancellationToken);
    }

    /// <summary>Sends the last, partial chunk, if any.</summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_chunk is not { } chunk)
        {
            return ValueTask.CompletedTask;
        }

        _chunk = null;
        return output.WriteAsync(chunk, cancellationToken);
    }
}
