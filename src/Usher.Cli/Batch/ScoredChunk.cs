using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// A chunk after scoring: its rows, and for each row that was scored, the batch and the row within
/// the batch that holds its outputs. Rows that could not be read or scored carry their reason.
/// </summary>
internal sealed class ScoredChunk(RowChunk source, int[] scoredRows, int[] batchOf, int[] rowInBatch, Tensor[][] outputs)
{
    /// <summary>The chunk as read (kept values, errors).</summary>
    public RowChunk Source { get; } = source;

    /// <summary>The offsets (within the chunk) of the rows that were scored, in order.</summary>
    public int[] ScoredRows { get; } = scoredRows;

    /// <summary>For each scored row, the batch whose outputs hold it.</summary>
    public int[] BatchOf { get; } = batchOf;

    /// <summary>For each scored row, its row within that batch.</summary>
    public int[] RowInBatch { get; } = rowInBatch;

    /// <summary>Per batch, the model's outputs in the model's order.</summary>
    public Tensor[][] Outputs { get; } = outputs;

    /// <summary>The pooled buffer the outputs are a view of (the direct path's), given back once the chunk is encoded; null otherwise.</summary>
    public byte[]? OutputBuffer { get; init; }

    /// <summary>Rows that went to the errors file.</summary>
    public int ErrorCount => Source.Rows - ScoredRows.Length;
}
