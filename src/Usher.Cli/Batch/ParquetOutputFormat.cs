using System.Buffers;
using Parquet;
using Parquet.Schema;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// Parquet output: one row group per chunk, encoded once in the chunk's part, whose row group is
/// appended to the output as it is and whose footer joins the output's (<see cref="ParquetConcatenation"/>). Kept columns keep their Parquet type
/// (text from CSV and JSONL); outputs are FP32, FP64, BOOL or INT64 columns, a list column for a wider output.
/// </summary>
internal sealed class ParquetOutputFormat : IOutputFormat
{
    private static readonly Type[] KeptTypes = [typeof(long), typeof(int), typeof(double), typeof(float), typeof(bool), typeof(DateTime)];
    private readonly OutputLayout _layout;
    private readonly ParquetSchema _schema;
    private readonly Lock _levelsLock = new();
    private readonly Lazy<Task<Parquet.Meta.FileMetaData>>? _listTemplate;

    // The parts' buffers: a part of mlp-large is 4 MiB, which as a fresh array (and the copy that
    // MemoryStream.ToArray made of it) per chunk was new memory for the kernel to fault in and zero.
    // As many free buffers per size as parts can be alive at once: those being encoded and the one being committed.
    private readonly ArrayPool<byte> _parts = ArrayPool<byte>.Create(1 << 30, BatchPipeline.ChunksInFlight + 1);
    private (int Width, int[] Definitions, int[] Repetitions)[] _levels = [];

    public ParquetOutputFormat(OutputLayout layout, CompressionMethod? compression = null)
    {
        _layout = layout;
        Compression = compression ?? ParquetFiles.DefaultCompression(layout);
        var fields = new List<Field>();
        foreach (var kept in layout.Kept)
        {
            var type = kept.ClrType is { } t && KeptTypes.Contains(t) && !kept.IsList ? t : typeof(string);
            fields.Add(new DataField(kept.Name, type, isNullable: true));
        }

        foreach (var output in layout.Outputs)
        {
            var type = ClrType(output.DataType);
            fields.Add(output.IsScalar ? new DataField(output.Name, type, isNullable: false) : new ListField(output.Name, new DataField("element", type, isNullable: false)));
        }

        _schema = new ParquetSchema(fields);
        if (ParquetListPages.Fits(layout, Compression))
        {
            _listTemplate = new Lazy<Task<Parquet.Meta.FileMetaData>>(ListTemplateAsync);
        }
    }

    /// <summary>The codec of the output's pages: <c>--compression</c>, or <see cref="ParquetFiles.DefaultCompression"/> for the layout.</summary>
    public CompressionMethod Compression { get; }

    /// <inheritdoc />
    public async Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken)
    {
        // Sized for the outputs' values up front, in a buffer of the parts' pool that the commit gives back.
        using var stream = new PartStream(_parts, EstimatedBytes(chunk.ScoredRows.Length));
        if (_listTemplate is not null && chunk.ScoredRows.Length > 0)
        {
            // Only required FP32 lists, uncompressed (mlp-large's output): pages written here, levels as runs.
            var template = await _listTemplate.Value.ConfigureAwait(false);
            ParquetListPages.Write(chunk, _layout, template, [.. _schema.GetDataFields().Select(f => f.MaxDefinitionLevel)], stream);
            return stream.Detach();
        }

        await using (var writer = await ParquetWriter.CreateAsync(_schema, stream, ParquetFiles.Options(Compression), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            using var group = writer.CreateRowGroup();
            var leaves = _schema.GetDataFields();
            var rows = chunk.ScoredRows.Length;
            for (var k = 0; k < _layout.Kept.Count; k++)
            {
                var values = chunk.ScoredRows.Select(r => chunk.Source.Kept[k][r]).ToArray();
                await WriteKeptAsync(group, leaves[k], values, cancellationToken).ConfigureAwait(false);
            }

            for (var o = 0; o < _layout.Outputs.Count; o++)
            {
                var spec = _layout.Outputs[o];
                var leaf = leaves[_layout.Kept.Count + o];
                var flat = new Tensor[rows];
                var offsets = new int[rows];
                for (var i = 0; i < rows; i++)
                {
                    flat[i] = chunk.Outputs[chunk.BatchOf[i]][o];
                    offsets[i] = chunk.RowInBatch[i] * spec.Width;
                }

                await WriteOutputAsync(group, leaf, spec, flat, offsets, spec.IsScalar ? default : Levels(spec.Width, rows * spec.Width, leaf.MaxDefinitionLevel), cancellationToken).ConfigureAwait(false);
            }

            group.CompleteValidate();
        }

        return stream.Detach();
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> Start => ParquetConcatenation.MagicBytes;

    /// <inheritdoc />
    public PartLayout Split(ReadOnlySpan<byte> part) => ParquetConcatenation.Split(part, "a Parquet part of this run");

    /// <inheritdoc />
    public async Task FinishAsync(Stream output, IReadOnlyList<(byte[] Trailer, long Offset)> chunks, CancellationToken cancellationToken)
    {
        if (chunks.Count == 0)
        {
            // No row groups: the rest of the file Parquet.Net writes for the schema and no rows, after its magic.
            using var empty = new MemoryStream();
            await using (await ParquetWriter.CreateAsync(_schema, empty, ParquetFiles.Options(Compression), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
            }

            await output.WriteAsync(empty.GetBuffer().AsMemory(Start.Length, (int)empty.Length - Start.Length), cancellationToken).ConfigureAwait(false);
            return;
        }

        // Each chunk's row group was appended as its part encoded it; its footer moves with it.
        var footers = new List<(Parquet.Meta.FileMetaData Footer, long Offset)>(chunks.Count);
        foreach (var (trailer, offset) in chunks)
        {
            footers.Add((await ParquetConcatenation.ReadFooterAsync(trailer, cancellationToken).ConfigureAwait(false), offset));
        }

        await ParquetConcatenation.WriteJoinedFooterAsync(footers, output, cancellationToken).ConfigureAwait(false);
    }

    // The footer Parquet.Net writes for this schema (one row of zeros), whose schema, types and paths
    // the parts written by ParquetListPages take, so that they are the parts Parquet.Net would write.
    private async Task<Parquet.Meta.FileMetaData> ListTemplateAsync()
    {
        using var stream = new MemoryStream();
        var leaves = _schema.GetDataFields();
        await using (var writer = await ParquetWriter.CreateAsync(_schema, stream, ParquetFiles.Options(Compression)).ConfigureAwait(false))
        {
            using var group = writer.CreateRowGroup();
            for (var o = 0; o < _layout.Outputs.Count; o++)
            {
                var width = _layout.Outputs[o].Width;
                var (definitions, repetitions) = Levels(width, width, leaves[o].MaxDefinitionLevel);
                await group.WriteAllPartsAsync<float>(leaves[o], new float[width], definitions, repetitions, CancellationToken.None).ConfigureAwait(false);
            }

            group.CompleteValidate();
        }

        stream.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(stream, ParquetFiles.Options()).ConfigureAwait(false);
        return reader.Metadata ?? throw new InvalidOperationException("Parquet.Net wrote no footer");
    }

    private int EstimatedBytes(int rows)
    {
        var bytes = 64L << 10;
        foreach (var output in _layout.Outputs)
        {
            bytes += (long)rows * output.Width * output.DataType.ElementSize();
        }

        return (int)Math.Min(bytes, Array.MaxLength);
    }

    // The levels of a list output depend only on its width and the number of values: every chunk of
    // a run shares one read-only pair per width, grown to the largest chunk, instead of two fresh
    // arrays as long as the values (8 MiB for a chunk of mlp-large) per chunk.
    private (ReadOnlyMemory<int> Definitions, ReadOnlyMemory<int> Repetitions) Levels(int width, int values, int maxDefinitionLevel)
    {
        lock (_levelsLock)
        {
            var at = Array.FindIndex(_levels, l => l.Width == width);
            if (at < 0 || _levels[at].Definitions.Length < values)
            {
                var definitions = new int[values];
                var repetitions = new int[values];
                Array.Fill(definitions, maxDefinitionLevel);
                for (var i = 0; i < values; i++)
                {
                    repetitions[i] = i % width == 0 ? 0 : 1;
                }

                var entry = (width, definitions, repetitions);
                _levels = at < 0 ? [.. _levels, entry] : [.. _levels.Select((l, i) => i == at ? entry : l)];
                at = at < 0 ? _levels.Length - 1 : at;
            }

            return (_levels[at].Definitions.AsMemory(0, values), _levels[at].Repetitions.AsMemory(0, values));
        }
    }

    private static Type ClrType(DataType type) => type switch
    {
        DataType.Fp32 => typeof(float),
        DataType.Fp64 => typeof(double),
        DataType.Bool => typeof(bool),
        _ => typeof(long),
    };

    private static Task WriteKeptAsync(ParquetRowGroupWriter group, DataField field, object?[] values, CancellationToken cancellationToken)
    {
        var type = field.ClrType;
        return type switch
        {
            _ when type == typeof(long) => Nullable<long>(group, field, values, v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture), cancellationToken),
            _ when type == typeof(int) => Nullable<int>(group, field, values, v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), cancellationToken),
            _ when type == typeof(double) => Nullable<double>(group, field, values, v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture), cancellationToken),
            _ when type == typeof(float) => Nullable<float>(group, field, values, v => Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture), cancellationToken),
            _ when type == typeof(bool) => Nullable<bool>(group, field, values, v => (bool)v, cancellationToken),
            _ when type == typeof(DateTime) => Nullable<DateTime>(group, field, values, v => (DateTime)v, cancellationToken),
            _ => group.WriteAsync(field, values.Select(v => v is null ? null! : TensorCells.KeptText(v)).ToArray(), null),
        };
    }

    private static Task Nullable<T>(ParquetRowGroupWriter group, DataField field, object?[] values, Func<object, T> convert, CancellationToken cancellationToken)
        where T : struct
    {
        var typed = values.Select(v => v is null ? (T?)null : convert(v)).ToArray();
        return group.WriteAsync<T>(field, typed.AsMemory(), null, null, cancellationToken);
    }

    private static Task WriteOutputAsync(ParquetRowGroupWriter group, DataField leaf, BatchTensor spec, Tensor[] tensors, int[] offsets, (ReadOnlyMemory<int> Definitions, ReadOnlyMemory<int> Repetitions) levels, CancellationToken cancellationToken) => spec.DataType switch
    {
        DataType.Fp32 => Same<float>(group, leaf, spec, tensors, offsets, levels, cancellationToken),
        DataType.Fp64 => Same<double>(group, leaf, spec, tensors, offsets, levels, cancellationToken),
        DataType.Bool => Output(group, leaf, spec, tensors, offsets, levels, (t, i) => t.Data.Span[i] != 0, cancellationToken),
        _ => Output(group, leaf, spec, tensors, offsets, levels, TensorCells.AsLong, cancellationToken),
    };

    // FP32 and FP64 outputs keep their type: each row is one block copy from the batch's output
    // (mlp-large writes 1,024 values per row), not a delegate call per value.
    private static async Task Same<T>(ParquetRowGroupWriter group, DataField leaf, BatchTensor spec, Tensor[] tensors, int[] offsets, (ReadOnlyMemory<int> Definitions, ReadOnlyMemory<int> Repetitions) levels, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var width = spec.Width;
        var values = new T[tensors.Length * width];
        for (var r = 0; r < tensors.Length; r++)
        {
            tensors[r].AsSpan<T>().Slice(offsets[r], width).CopyTo(values.AsSpan(r * width, width));
        }

        if (spec.IsScalar)
        {
            await group.WriteAsync<T>(leaf, values.AsMemory(), null, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await group.WriteAllPartsAsync<T>(leaf, values.AsMemory(), levels.Definitions, levels.Repetitions, cancellationToken).ConfigureAwait(false);
    }

    private static async Task Output<T>(ParquetRowGroupWriter group, DataField leaf, BatchTensor spec, Tensor[] tensors, int[] offsets, (ReadOnlyMemory<int> Definitions, ReadOnlyMemory<int> Repetitions) levels, Func<Tensor, int, T> element, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T[tensors.Length * spec.Width];
        for (var r = 0; r < tensors.Length; r++)
        {
            for (var e = 0; e < spec.Width; e++)
            {
                values[(r * spec.Width) + e] = element(tensors[r], offsets[r] + e);
            }
        }

        if (spec.IsScalar)
        {
            await group.WriteAsync<T>(leaf, values.AsMemory(), null, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await group.WriteAllPartsAsync<T>(leaf, values.AsMemory(), levels.Definitions, levels.Repetitions, cancellationToken).ConfigureAwait(false);
    }
}
