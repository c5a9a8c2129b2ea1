using System.Buffers;
using System.Runtime.InteropServices;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>
/// Concatenates requests' inputs along the batch dimension and splits the outputs back, exactly:
/// for the batcher's queued requests, and for a stream's micro-batch stacked into one request
/// (<see cref="RequestStack"/>).
/// </summary>
internal static class BatchAssembler
{
    /// <summary>
    /// The batch's inputs, concatenated into arrays rented from <paramref name="pool"/>: the caller
    /// gives them back with <see cref="Return"/> once the backend has run (a batch of 64 rows of 1,024
    /// floats is 256 KiB, which would otherwise be a new large-object-heap array per batch).
    /// </summary>
    public static IReadOnlyList<Tensor> Concatenate(IReadOnlyList<QueuedRequest> batch, ArrayPool<byte> pool, out byte[][]? rented)
        => Concatenate(batch, static item => item.Request, pool, out rented);

    /// <summary>
    /// Gives <paramref name="rented"/> back to <paramref name="pool"/>, except an array that one of
    /// <paramref name="outputs"/> still reads (a backend may answer with a view of its input).
    /// </summary>
    public static void Return(ArrayPool<byte> pool, byte[][]? rented, IReadOnlyList<Tensor>? outputs)
    {
        foreach (var array in rented ?? [])
        {
            if (array is not null && !IsReadBy(array, outputs))
            {
                pool.Return(array);
            }
        }
    }

    private static bool IsReadBy(byte[] array, IReadOnlyList<Tensor>? outputs)
    {
        if (outputs is null)
        {
            // The run failed or never happened: nothing reads the inputs any more.
            return false;
        }

        foreach (var output in outputs)
        {
            if (output.DataType != DataType.Bytes && MemoryMarshal.TryGetArray(output.Data, out var segment) && ReferenceEquals(segment.Array, array))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The inputs of <paramref name="batch"/>'s requests (which are compatible), concatenated along the
    /// batch dimension into arrays rented from <paramref name="pool"/> that the caller gives back with
    /// <see cref="Return"/> once the backend has run.
    /// </summary>
    public static IReadOnlyList<Tensor> Concatenate<T>(IReadOnlyList<T> batch, Func<T, ValidatedRequest> requestOf, ArrayPool<byte> pool, out byte[][]? rented)
    {
        rented = null;
        var first = requestOf(batch[0]).Inputs;
        if (batch.Count == 1)
        {
            return first;
        }

        var rows = 0L;
        foreach (var item in batch)
        {
            rows += Rows(requestOf(item));
        }

        var inputs = new Tensor[first.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var template = first[i];
            long[] shape = [rows, .. template.Shape.AsSpan(1)];
            if (template.DataType == DataType.Bytes)
            {
                var strings = new List<byte[]>();
                foreach (var item in batch)
                {
                    strings.AddRange(requestOf(item).Inputs[i].Strings!);
                }

                inputs[i] = Tensor.FromStrings(template.Name, shape, [.. strings]);
                continue;
            }

            var total = 0;
            foreach (var item in batch)
            {
                total += requestOf(item).Inputs[i].Data.Length;
            }

            rented ??= new byte[inputs.Length][];
            var bytes = rented[i] = pool.Rent(total);

            var offset = 0;
            foreach (var item in batch)
            {
                var data = requestOf(item).Inputs[i].Data.Span;
                data.CopyTo(bytes.AsSpan(offset));
                offset += data.Length;
            }

            inputs[i] = Tensor.FromBytes(template.Name, template.DataType, shape, bytes.AsMemory(0, total));
        }

        return inputs;
    }

    /// <summary>The outputs of each request of the batch; slices share the batch's output buffers.</summary>
    public static IReadOnlyList<Tensor>[] Split(IReadOnlyList<QueuedRequest> batch, IReadOnlyList<Tensor> outputs, int rows)
        => Split(batch, static item => item.Request, outputs, rows);

    /// <summary>The rows a request contributes to a batch: its batch size (1 for a model that is not batched).</summary>
    public static int Rows(ValidatedRequest request) => Math.Max(1, request.BatchSize);

    /// <summary>The outputs of each request of <paramref name="batch"/>, run as one of <paramref name="rows"/> rows; slices share the outputs' buffers.</summary>
    public static IReadOnlyList<Tensor>[] Split<T>(IReadOnlyList<T> batch, Func<T, ValidatedRequest> requestOf, IReadOnlyList<Tensor> outputs, int rows)
    {
        var result = new IReadOnlyList<Tensor>[batch.Count];
        if (batch.Count == 1)
        {
            result[0] = outputs;
            return result;
        }

        foreach (var output in outputs)
        {
            if (output.Shape.Length == 0 || output.Shape[0] != rows)
            {
                throw new InvalidOperationException($"output '{output.Name}' has shape {TensorShape.Format(output.Shape)}, whose first dimension is not the batch of {rows} rows; serve this model with max_batch_size: 0");
            }
        }

        var start = 0;
        for (var r = 0; r < batch.Count; r++)
        {
            var n = Rows(requestOf(batch[r]));
            var mine = new Tensor[outputs.Count];
            for (var o = 0; o < outputs.Count; o++)
            {
                var output = outputs[o];
                long[] shape = [n, .. output.Shape.AsSpan(1)];
                if (output.DataType == DataType.Bytes)
                {
                    var perRow = output.Strings!.Length / rows;
                    mine[o] = Tensor.FromStrings(output.Name, shape, output.Strings.AsSpan(start * perRow, n * perRow).ToArray());
                }
                else
                {
                    var rowBytes = output.Data.Length / rows;
                    mine[o] = Tensor.FromBytes(output.Name, output.DataType, shape, output.Data.Slice(start * rowBytes, n * rowBytes));
                }
            }

            result[r] = mine;
            start += n;
        }

        return result;
    }
}
