using System.Buffers;
using Parquet;
using Parquet.Schema;
using Usher.Cli.Batch;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetListPagesTests : IDisposable
{
    // Two list outputs: 300 values per row (873 rows to a 1 MiB page) and 1,024 (256 rows to a page),
    // so 600 rows make 1 and 3 pages; rows come from batches of 64 rows, as the chunk scorer leaves them.
    private static readonly BatchTensor Narrow = new("a", DataType.Fp32, [-1, 300], 300);
    private static readonly BatchTensor Wide = new("b", DataType.Fp32, [-1, 4, 256], 1024);
    private static readonly OutputLayout Layout = new([], [Narrow, Wide]);
    private const int Rows = 600;
    private const int BatchRows = 64;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fits_OnlyRequiredFp32ListsWrittenUncompressed()
    {
        Assert.True(ParquetListPages.Fits(Layout, CompressionMethod.None));
        Assert.False(ParquetListPages.Fits(Layout, CompressionMethod.Snappy));
        Assert.False(ParquetListPages.Fits(Layout with { Kept = [new SourceColumn("id", IsList: false, typeof(long))] }, CompressionMethod.None));
        Assert.False(ParquetListPages.Fits(new OutputLayout([], [Wide, new BatchTensor("label", DataType.Int64, [-1], 1)]), CompressionMethod.None));
        Assert.False(ParquetListPages.Fits(new OutputLayout([], [new BatchTensor("d", DataType.Fp64, [-1, 128], 128)]), CompressionMethod.None));
    }

    [Fact]
    public async Task WritePartAsync_Uncompressed_ReadsBackAsTheSameValuesLevelsAndSchemaAsParquetNetsPart()
    {
        var chunk = Chunk();
        var own = new ParquetOutputFormat(Layout);
        Assert.Equal(CompressionMethod.None, own.Compression);
        using var ownPart = await own.WritePartAsync(chunk, CancellationToken.None);
        using var netPart = await new ParquetOutputFormat(Layout, CompressionMethod.Snappy).WritePartAsync(chunk, CancellationToken.None);

        await using var ownReader = await ParquetReader.CreateAsync(new MemoryStream(ownPart.Span.ToArray()));
        await using var netReader = await ParquetReader.CreateAsync(new MemoryStream(netPart.Span.ToArray()));
        Assert.Equal(netReader.Schema, ownReader.Schema);
        Assert.Equal(1, ownReader.RowGroupCount);
        using var ownGroup = ownReader.OpenRowGroupReader(0);
        using var netGroup = netReader.OpenRowGroupReader(0);
        Assert.Equal(Rows, ownGroup.RowCount);
        var leaves = ownReader.Schema.GetDataFields();
        for (var o = 0; o < Layout.Outputs.Count; o++)
        {
            // This part's pages are its own (no statistics, plain values), not Parquet.Net's.
            Assert.Null(ownGroup.GetMetadata(leaves[o])!.MetaData!.Statistics);
            var width = Layout.Outputs[o].Width;
            var (values, definitions, repetitions) = await ReadRawAsync(ownGroup, leaves[o], Rows * width);
            var (netValues, netDefinitions, netRepetitions) = await ReadRawAsync(netGroup, leaves[o], Rows * width);
            Assert.Equal(netValues, values);
            Assert.Equal(netDefinitions, definitions);
            Assert.Equal(netRepetitions, repetitions);

            // And against the values computed here: row r's element e of output o is Value(r, o, e).
            for (var r = 0; r < Rows; r += 97)
            {
                for (var e = 0; e < width; e += 31)
                {
                    Assert.Equal(Value(r, o, e), values[(r * width) + e]);
                    Assert.Equal(e == 0 ? 0 : 1, repetitions[(r * width) + e]);
                }
            }
        }
    }

    [Fact]
    public async Task WritePartAsync_Uncompressed_ReadsBackThroughTheListReader_PageByPage()
    {
        // The 1,024-wide output spans three pages: the list reader carries the rows across them.
        var path = _temp.Combine("part.parquet");
        using (var part = await new ParquetOutputFormat(Layout).WritePartAsync(Chunk(), CancellationToken.None))
        {
            await File.WriteAllBytesAsync(path, part.Span.ToArray());
        }

        await using var reader = await ParquetReader.CreateAsync(path);
        using var group = reader.OpenRowGroupReader(0);
        using var lists = ParquetListColumnReader.Open(path);
        var leaves = reader.Schema.GetDataFields();
        for (var o = 0; o < Layout.Outputs.Count; o++)
        {
            var width = Layout.Outputs[o].Width;
            var values = new float[Rows * width];

            Assert.Equal(width, await lists.TryReadAsync(group.GetMetadata(leaves[o])!, leaves[o], Rows, values, CancellationToken.None));
            for (var r = 0; r < Rows; r++)
            {
                Assert.Equal(Value(r, o, 0), values[r * width]);
                Assert.Equal(Value(r, o, width - 1), values[((r + 1) * width) - 1]);
            }
        }
    }

    [Theory]
    [InlineData(CompressionMethod.None)]
    [InlineData(CompressionMethod.Snappy)]
    public async Task ChunkStore_AppendsPartsRowGroups_AndFinishJoinsTheirFooters_IntoAFileParquetNetReadsRowByRow(CompressionMethod compression)
    {
        // Uncompressed parts are written by ParquetListPages, Snappy ones by Parquet.Net: both are appended and joined the same way.
        var format = new ParquetOutputFormat(Layout, compression);
        var output = _temp.Combine("out.parquet");
        using (var store = ChunkStore.Open(output, ".parquet", format.Start, new BatchManifest("/in", 1, DateTime.UnixEpoch, "job"), resume: false, out _)!)
        {
            for (var p = 0; p < 2; p++)
            {
                using var part = await format.WritePartAsync(Chunk(), CancellationToken.None);
                var layout = format.Split(part.Span);
                store.Commit(p, p * Rows, Rows, 0, part.Span[layout.Rows], part.Span[layout.Trailer], []);
            }

            await store.FinishAsync(format, output, CancellationToken.None);
        }

        await using var reader = await ParquetReader.CreateAsync(output);
        Assert.Equal(2, reader.RowGroupCount);
        Assert.Equal(2 * Rows, reader.Metadata!.NumRows);
        var leaf = reader.Schema.GetDataFields()[1];
        using var group = reader.OpenRowGroupReader(1);
        var (values, _, _) = await ReadRawAsync(group, leaf, Rows * Wide.Width);
        Assert.Equal(Value(Rows - 1, 1, Wide.Width - 1), values[^1]);
        Assert.Equal(Value(300, 1, 7), values[(300 * Wide.Width) + 7]);
    }

    [Fact]
    public async Task ChunkStore_NoChunks_FinishWritesAFileOfTheSchemaAndNoRows()
    {
        var format = new ParquetOutputFormat(Layout);
        var output = _temp.Combine("empty.parquet");
        using (var store = ChunkStore.Open(output, ".parquet", format.Start, new BatchManifest("/in", 1, DateTime.UnixEpoch, "job"), resume: false, out _)!)
        {
            await store.FinishAsync(format, output, CancellationToken.None);
        }

        await using var reader = await ParquetReader.CreateAsync(output);
        Assert.Equal(0, reader.RowGroupCount);
        Assert.Equal(["a", "b"], reader.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public void Split_NotAParquetFile_IsRefusedNamingWhatWasExpected()
    {
        var format = new ParquetOutputFormat(Layout);
        var error = Assert.Throws<InvalidDataException>(() => format.Split("PAR1 not a footer"u8));
        Assert.Contains("expected PAR1 at both ends", error.Message, StringComparison.Ordinal);
    }

    // Exact in FP32 (below 2^24) and different for every row, output and element.
    private static float Value(int row, int output, int element) => (row * 2048) + (output * 1024) + element;

    private static ScoredChunk Chunk()
    {
        var input = new BatchTensor("x", DataType.Fp32, [-1, 1], 1);
        var mapping = new ColumnMapping([new SourceColumn("x", IsList: true)], [new InputBinding(input, 0, [])], []);
        var source = RowChunk.Create(0, 0, capacity: Rows, mapping, ArrayPool<byte>.Shared);
        for (var r = 0; r < Rows; r++)
        {
            source.Commit(null);
        }

        var batches = (Rows + BatchRows - 1) / BatchRows;
        var outputs = new Tensor[batches][];
        for (var b = 0; b < batches; b++)
        {
            var rows = Math.Min(BatchRows, Rows - (b * BatchRows));
            outputs[b] = [.. Layout.Outputs.Select((spec, o) =>
            {
                var values = new float[rows * spec.Width];
                for (var r = 0; r < rows; r++)
                {
                    for (var e = 0; e < spec.Width; e++)
                    {
                        values[(r * spec.Width) + e] = Value((b * BatchRows) + r, o, e);
                    }
                }

                return Tensor.FromSpan<float>(spec.Name, DataType.Fp32, [rows, spec.Width], values);
            })];
        }

        var all = Enumerable.Range(0, Rows).ToArray();
        return new ScoredChunk(source, all, [.. all.Select(r => r / BatchRows)], [.. all.Select(r => r % BatchRows)], outputs);
    }

    private static async Task<(float[] Values, int[] Definitions, int[] Repetitions)> ReadRawAsync(ParquetRowGroupReader group, DataField leaf, int count)
    {
        var values = new float[count];
        var definitions = new int[count];
        var repetitions = new int[count];
        await group.ReadRawAsync<float>(leaf, values, definitions, repetitions);
        return (values, definitions, repetitions);
    }
}
