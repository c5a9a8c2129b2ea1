using Parquet;
using Parquet.Schema;

namespace Usher.Cli.Batch;

/// <summary>Copies one column of a row group into a row group of another file with the same schema, values and levels as they are.</summary>
internal static class ParquetRowGroupCopy
{
    /// <summary>Copies column <paramref name="from"/> of <paramref name="source"/> into <paramref name="to"/> of <paramref name="target"/>.</summary>
    public static Task CopyAsync(ParquetRowGroupReader source, DataField from, ParquetRowGroupWriter target, DataField to, int rows, CancellationToken cancellationToken)
    {
        var type = to.ClrType;
        return type switch
        {
            _ when type == typeof(string) || type == typeof(ReadOnlyMemory<char>) => CopyStringsAsync(source, from, target, to, rows, cancellationToken),
            _ when type == typeof(float) => CopyAsync<float>(source, from, target, to, rows, cancellationToken),
            _ when type == typeof(double) => CopyAsync<double>(source, from, target, to, rows, cancellationToken),
            _ when type == typeof(long) => CopyAsync<long>(source, from, target, to, rows, cancellationToken),
            _ when type == typeof(int) => CopyAsync<int>(source, from, target, to, rows, cancellationToken),
            _ when type == typeof(bool) => CopyAsync<bool>(source, from, target, to, rows, cancellationToken),
            _ => CopyAsync<DateTime>(source, from, target, to, rows, cancellationToken),
        };
    }

    private static async Task CopyStringsAsync(ParquetRowGroupReader source, DataField from, ParquetRowGroupWriter target, DataField to, int rows, CancellationToken cancellationToken)
    {
        var values = new string?[rows];
        await source.ReadAsync(from, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        await target.WriteAsync(to, values!, null).ConfigureAwait(false);
    }

    private static async Task CopyAsync<T>(ParquetRowGroupReader source, DataField from, ParquetRowGroupWriter target, DataField to, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        if (to.MaxRepetitionLevel > 0)
        {
            var levels = checked((int)source.GetMetadata(from)!.MetaData!.NumValues);
            var values = new T[levels];
            var definitions = new int[levels];
            var repetitions = new int[levels];
            await source.ReadRawAsync<T>(from, values.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), cancellationToken).ConfigureAwait(false);
            await target.WriteAllPartsAsync<T>(to, values.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        else if (to.IsNullable)
        {
            var values = new T?[rows];
            await source.ReadAsync<T>(from, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            await target.WriteAsync<T>(to, values.AsMemory(), null, null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var values = new T[rows];
            await source.ReadAsync<T>(from, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            await target.WriteAsync<T>(to, values.AsMemory(), null, null, cancellationToken).ConfigureAwait(false);
        }
    }
}
