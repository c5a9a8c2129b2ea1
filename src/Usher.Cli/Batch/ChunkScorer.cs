using System.Buffers;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// Scores one chunk: its good rows in batches of the model's <c>max_batch_size</c>, as many batches
/// in flight as the scorer asks for (shared across chunks by one gate), so that every instance is busy.
/// A batch that fails sends its rows to the errors file with the reason. A batch of consecutive rows is a
/// slice of the chunk's values; one with failed rows among them is packed into a buffer from
/// <paramref name="buffers"/>, the pipeline's pool, and given back once the batch has run. When the scorer
/// offers <see cref="DirectBatchWorkers"/>, the batches run on those instead, into one output buffer per
/// chunk (from a pool of this scorer's, given back by <see cref="Release"/>).
/// </summary>
internal sealed class ChunkScorer(IBatchScorer scorer, ArrayPool<byte> buffers, int chunkRows = 0)
{
    private readonly SemaphoreSlim _gate = new(scorer.Model.InFlight);

    // A scored chunk's row arrays, given back by Release once it is encoded: as many as chunks in flight and one being encoded.
    private readonly RowArrayPool<int> _rowArrays = new(chunkRows, 3 * (BatchPipeline.ChunksInFlight + 1));

    // The direct path's output buffers, one per chunk in flight or being encoded.
    private readonly ArrayPool<byte> _outputs = ArrayPool<byte>.Create(
        Math.Max(1, scorer.Direct is { } direct ? TensorPacker.Bytes(direct.Model.Outputs[0], Math.Max(chunkRows, 1)) : 1), BatchPipeline.ChunksInFlight + 1);

    /// <summary>Starts scoring <paramref name="chunk"/>; the task completes when all its batches have.</summary>
    public async Task<ScoredChunk> ScoreAsync(RowChunk chunk, CancellationToken cancellationToken)
    {
        var model = scorer.Model;

        // Arrays of the exact length, each made once: a chunk's row arrays are large objects (a chunk of
        // fraud is 34,952 rows), and a list grown then copied made each of them twice.
        var rows = _rowArrays.Rent(chunk.Rows - chunk.ErrorCount);
        for (int r = 0, g = 0; r < chunk.Rows; r++)
        {
            if (chunk.Errors[r] is null)
            {
                rows[g++] = r;
            }
        }
        if (scorer.Direct is { } workers)
        {
            return await ScoreDirectAsync(workers, chunk, rows, cancellationToken).ConfigureAwait(false);
        }

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

        var scoredCount = 0;
        for (var b = 0; b < batches; b++)
        {
            if (outputs[b] is not null)
            {
                scoredCount += Math.Min(model.MaxBatchSize, rows.Length - (b * model.MaxBatchSize));
            }
        }

        // Every batch ran (the usual case): the scored rows are the good rows.
        var scored = scoredCount == rows.Length ? rows : _rowArrays.Rent(scoredCount);
        var batchOf = _rowArrays.Rent(scoredCount);
        var rowInBatch = _rowArrays.Rent(scoredCount);
        for (int b = 0, s = 0; b < batches; b++)
        {
            if (outputs[b] is null)
            {
                continue;
            }

            var first = b * model.MaxBatchSize;
            var count = Math.Min(model.MaxBatchSize, rows.Length - first);
            for (var i = 0; i < count; i++, s++)
            {
                scored[s] = rows[first + i];
                batchOf[s] = b;
                rowInBatch[s] = i;
            }
        }

        return new ScoredChunk(chunk, scored, batchOf, rowInBatch, [.. outputs.Select(o => o ?? [])]);
    }

    /// <summary>Gives <paramref name="scored"/>'s row arrays back once it is encoded; it is not read afterwards.</summary>
    public void Release(ScoredChunk scored)
    {
        if (scored.OutputBuffer is { } output)
        {
            _outputs.Return(output);
        }

        _rowArrays.Return(scored.ScoredRows);
        _rowArrays.Return(scored.BatchOf);
        _rowArrays.Return(scored.RowInBatch);
    }

    // The direct path: every batch of the chunk written into one output buffer, the scored chunk's single "batch".
    private async Task<ScoredChunk> ScoreDirectAsync(DirectBatchWorkers workers, RowChunk chunk, int[] rows, CancellationToken cancellationToken)
    {
        var model = workers.Model;
        var spec = model.Outputs[0];
        var output = _outputs.Rent(Math.Max(1, TensorPacker.Bytes(spec, rows.Length)));
        bool[] ran;
        try
        {
            ran = await workers.ScoreAsync(chunk, rows, output, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _outputs.Return(output);
            throw;
        }
        finally
        {
            // The batches read the chunk's values until they have run.
            chunk.ReturnValues();
        }

        var scoredCount = 0;
        for (var b = 0; b < ran.Length; b++)
        {
            if (ran[b])
            {
                scoredCount += Math.Min(model.MaxBatchSize, rows.Length - (b * model.MaxBatchSize));
            }
        }

        var scored = scoredCount == rows.Length ? rows : _rowArrays.Rent(scoredCount);
        var batchOf = _rowArrays.Rent(scoredCount);
        var rowInBatch = _rowArrays.Rent(scoredCount);
        for (int b = 0, s = 0; b < ran.Length; b++)
        {
            if (!ran[b])
            {
                continue;
            }

            var first = b * model.MaxBatchSize;
            var count = Math.Min(model.MaxBatchSize, rows.Length - first);
            for (var i = first; i < first + count; i++, s++)
            {
                scored[s] = rows[i];
                batchOf[s] = 0;
                rowInBatch[s] = i;
            }
        }

        // Row i of the good rows has its outputs at i x width: a failed batch leaves its place unread.
        long[] shape = spec.IsScalar ? [rows.Length] : [rows.Length, .. spec.Shape.AsSpan(1)];
        var tensor = Tensor.FromBytes(spec.Name, spec.DataType, shape, output.AsMemory(0, TensorPacker.Bytes(spec, rows.Length)));
        return new ScoredChunk(chunk, scored, batchOf, rowInBatch, [[tensor]]) { OutputBuffer = output };
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
