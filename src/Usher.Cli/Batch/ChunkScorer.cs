using System.Buffers;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// Scores one chunk: its good rows in batches of the model's <c>max_batch_size</c>, as many batches
/// in flight as the scorer asks for (shared across chunks by one gate), so that every instance is busy.
/// A batch that fails sends its rows to the errors file with the reason. A batch of consecutive rows is a
/// slice of the chunk's values; one with failed rows among them is packed into a buffer from
/// <paramref name="buffers"/>, the pipeline's pool, and given back once the batch has run.
/// </summary>
internal sealed class ChunkScorer(IBatchScorer scorer, ArrayPool<byte> buffers)
{
    private readonly SemaphoreSlim _gate = new(scorer.Model.InFlight);

    /// <summary>Starts scoring <paramref name="chunk"/>; the task completes when all its batches have.</summary>
    public async Task<ScoredChunk> ScoreAsync(RowChunk chunk, CancellationToken cancellationToken)
    {
        var model = scorer.Model;
        var good = new List<int>(chunk.Rows);
        for (var r = 0; r < chunk.Rows; r++)
        {
            if (chunk.Errors[r] is null)
            {
                good.Add(r);
            }
        }

        var rows = good.ToArray();
        var batches = (rows.Length + model.MaxBatchSize - 1) / model.MaxBatchSize;
        var running = new Task<Tensor[]?>[batches];
        for (var b = 0; b < batches; b++)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var slice = rows.AsSpan(b * model.MaxBatchSize, Math.Min(model.MaxBatchSize, rows.Length - (b * model.MaxBatchSize)));
            // A batch of consecutive good rows is a slice of the chunk's values (no copy); one with failed
            // rows among them is packed into a buffer of the pipeline's pool, given back once the batch has run.
            var inputs = new Tensor[model.Inputs.Count];
            var batchBuffers = new byte[]?[model.Inputs.Count];
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = TensorPacker.Pack(model.Inputs[i], chunk.Values[i], slice, buffers, out batchBuffers[i]);
            }

            // On a thread of its own: the scheduler runs a batch that meets an idle instance on the
            // caller's thread, so called from this loop every batch would run here, one after the
            // other, on one instance. Dispatched, the batches in flight spread over every instance.
            var batchRows = slice.ToArray();
            running[b] = Task.Run(() => RunAsync(chunk, inputs, batchBuffers, batchRows, cancellationToken), CancellationToken.None);
        }

        Tensor[]?[] outputs;
        try
        {
            outputs = await Task.WhenAll(running).ConfigureAwait(false);
        }
        finally
        {
            // The batches read the chunk's values until they have run.
            chunk.ReturnValues();
        }

        var scored = new List<int>(rows.Length);
        var batchOf = new List<int>(rows.Length);
        var rowInBatch = new List<int>(rows.Length);
        for (var b = 0; b < batches; b++)
        {
            if (outputs[b] is null)
            {
                continue;
            }

            var first = b * model.MaxBatchSize;
            var count = Math.Min(model.MaxBatchSize, rows.Length - first);
            for (var i = 0; i < count; i++)
            {
                scored.Add(rows[first + i]);
                batchOf.Add(b);
                rowInBatch.Add(i);
            }
        }

        return new ScoredChunk(chunk, [.. scored], [.. batchOf], [.. rowInBatch], [.. outputs.Select(o => o ?? [])]);
    }

    private async Task<Tensor[]?> RunAsync(RowChunk chunk, Tensor[] inputs, byte[]?[] batchBuffers, int[] rows, CancellationToken cancellationToken)
    {
        try
        {
            var result = await scorer.ScoreAsync(inputs, rows.Length, cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                return [.. result.Value];
            }

            foreach (var r in rows)
            {
                chunk.Fail(r, $"the model refused the batch: {result.Error.Message}");
            }

            return null;
        }
        finally
        {
            foreach (var buffer in batchBuffers)
            {
                if (buffer is not null)
                {
                    buffers.Return(buffer);
                }
            }

            _gate.Release();
        }
    }
}
