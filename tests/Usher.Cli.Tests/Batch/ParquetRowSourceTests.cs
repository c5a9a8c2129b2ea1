using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Usher.Cli.Batch;
using Usher.Core.Models;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetRowSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CheckRowGroups_AGroupOverTheBound_IsRefusedNamingItsSize()
    {
        // Row groups of 100, 100 and 50 rows: 100 rows need 100 x 30 FP32 features and 100 INT64
        // ids, each value with its two 4-byte levels: 100 * 30 * (4 + 8) + 100 * (8 + 8) bytes.
        await BatchFiles.WriteParquetAsync(_temp.Combine("in.parquet"), BatchFiles.Features(250), groupRows: 100);
        const long LargestGroup = (100 * 30 * 12) + (100 * 16);
        await using var source = await ParquetRowSource.OpenAsync(_temp.Combine("in.parquet"), CancellationToken.None);
        var mapping = Mapping(source);

        var within = source.CheckRowGroups(mapping, LargestGroup);
        var over = source.CheckRowGroups(mapping, LargestGroup - 1);

        Assert.Null(within);
        Assert.NotNull(over);
        Assert.StartsWith("--input: row group 0 of ", over);
        Assert.Contains("(100 rows)", over);
        Assert.Contains("rewrite the file with smaller row groups", over);
    }

    [Fact]
    public async Task ReadAsync_ListRowsCopiedAsBlocks_AreTheRowByRowValues_AndBadRowsFailAsRowByRow()
    {
        // 300 rows in groups of 128, read into chunks of 100: with only the list column mapped, clean runs of rows
        // are copied a block at a time; keeping "id" as well reads every row one by one. Row 5 holds a NaN
        // (its block falls back to rows), row 130 is one value short and row 200 has a missing element.
        var rows = BatchFiles.Features(300);
        rows[5][3] = float.NaN;
        rows[130] = rows[130][..^1];
        await BatchFiles.WriteParquetAsync(_temp.Combine("in.parquet"), rows, groupRows: 128, missing: (200, 7));
        await using var source = await ParquetRowSource.OpenAsync(_temp.Combine("in.parquet"), CancellationToken.None);

        var blocks = await ReadAllAsync(source, Mapping(source, keep: []));
        var oneByOne = await ReadAllAsync(source, Mapping(source, keep: ["id"]));

        Assert.Equal(oneByOne.Errors, blocks.Errors);
        Assert.Equal(oneByOne.Values, blocks.Values);
        Assert.Equal([5, 130, 200], blocks.Errors.Select((e, r) => (e, r)).Where(x => x.e is not null).Select(x => x.r));
        Assert.Equal("column 'features': NaN is not allowed", blocks.Errors[5]);
        Assert.StartsWith($"column 'features': expected {BatchFiles.Width} values for input 'features' FP32 ", blocks.Errors[130]);
        Assert.EndsWith($", got {BatchFiles.Width - 1}", blocks.Errors[130]);
        Assert.Equal("column 'features': 1 missing values", blocks.Errors[200]);

        // And against the file's own numbers: every good row holds its features, in order.
        for (var r = 0; r < rows.Length; r++)
        {
            if (blocks.Errors[r] is null)
            {
                Assert.Equal(rows[r], blocks.Values[r]);
            }
        }
    }

    private static async Task<(string?[] Errors, float[][] Values)> ReadAllAsync(ParquetRowSource source, ColumnMapping mapping)
    {
        var channel = Channel.CreateUnbounded<RowChunk>();
        var chunks = new ChunkBuilder(0, chunkRows: 100, mapping, ArrayPool<byte>.Shared, channel.Writer);
        await source.ReadAsync(0, source.RowCount, mapping, chunks, CancellationToken.None);
        channel.Writer.Complete();
        var errors = new List<string?>();
        var values = new List<float[]>();
        await foreach (var chunk in channel.Reader.ReadAllAsync())
        {
            for (var r = 0; r < chunk.Rows; r++)
            {
                errors.Add(chunk.Errors[r]);
                values.Add(chunk.Errors[r] is null ? MemoryMarshal.Cast<byte, float>(chunk.Row(0, r)).ToArray() : []);
            }

            chunk.ReturnValues();
        }

        return ([.. errors], [.. values]);
    }

    private static ColumnMapping Mapping(ParquetRowSource source, IReadOnlyList<string>? keep = null)
    {
        var problems = new List<string>();
        var model = BatchModel.From(
            "fraud", 1, 64,
            [new TensorSpec("features", DataType.Fp32, [-1, BatchFiles.Width])],
            [new TensorSpec("probabilities", DataType.Fp32, [-1, 2])],
            1,
            problems);
        var mapping = ColumnMapping.Resolve(model!, source.Columns, new Dictionary<string, IReadOnlyList<string>>(), keep ?? ["id"], problems);
        Assert.Empty(problems);
        return mapping!;
    }
}
