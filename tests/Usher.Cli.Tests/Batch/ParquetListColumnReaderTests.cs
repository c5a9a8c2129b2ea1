using Parquet;
using Parquet.Schema;
using Usher.Cli.Batch;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetListColumnReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(CompressionMethod.None, 37)]
    [InlineData(CompressionMethod.Snappy, 37)]
    [InlineData(CompressionMethod.Snappy, 3)]
    [InlineData(CompressionMethod.None, 1)]
    public async Task TryReadAsync_FixedWidthFp32ListsFromParquetNet_AreTheWrittenValuesInEveryRowGroup(CompressionMethod codec, int width)
    {
        // 250 rows in groups of 100: every row group's chunk read straight into the buffer, value for value.
        var rows = Rows(250, width, row => (float)((row * 0.25) - (width * 0.5)));
        var path = _temp.Combine("in.parquet");
        await WriteAsync(path, rows, width, groupRows: 100, codec);

        var read = await ReadGroupsAsync<float>(path);

        Assert.Equal([100, 100, 50], read.Select(g => g.Rows));
        Assert.All(read, g => Assert.Equal(width, g.Width));
        Assert.Equal(rows.SelectMany(r => r), read.SelectMany(g => g.Values));
    }

    [Fact]
    public async Task TryReadAsync_Fp64AndInt64Lists_AreTheWrittenValues()
    {
        var path = _temp.Combine("wide.parquet");
        var doubles = new DataField<double>("element");
        var longs = new DataField<long>("element");
        var schema = new ParquetSchema(new ListField("d", doubles), new ListField("l", longs));
        const int Count = 40;
        const int Width = 16;
        var d = Enumerable.Range(0, Count * Width).Select(i => (i * 1.5) - 7).ToArray();
        var l = Enumerable.Range(0, Count * Width).Select(i => ((long)i << 33) - 5).ToArray();
        var repetitions = Enumerable.Range(0, Count * Width).Select(i => i % Width == 0 ? 0 : 1).ToArray();
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream, ParquetFiles.Options(CompressionMethod.Snappy)))
        {
            using var group = writer.CreateRowGroup();
            var leaves = schema.GetDataFields();
            await group.WriteAllPartsAsync<double>(leaves[0], d, Full(leaves[0], d.Length), repetitions, CancellationToken.None);
            await group.WriteAllPartsAsync<long>(leaves[1], l, Full(leaves[1], l.Length), repetitions, CancellationToken.None);
            group.CompleteValidate();
        }

        await using var reader = await ParquetReader.CreateAsync(path);
        using var rowGroup = reader.OpenRowGroupReader(0);
        using var lists = ParquetListColumnReader.Open(path);
        var fields = reader.Schema.GetDataFields();
        var readDoubles = new double[d.Length];
        var readLongs = new long[l.Length];

        Assert.Equal(Width, await lists.TryReadAsync(rowGroup.GetMetadata(fields[0])!, fields[0], Count, readDoubles, CancellationToken.None));
        Assert.Equal(Width, await lists.TryReadAsync(rowGroup.GetMetadata(fields[1])!, fields[1], Count, readLongs, CancellationToken.None));
        Assert.Equal(d, readDoubles);
        Assert.Equal(l, readLongs);
    }

    [Fact]
    public async Task TryReadAsync_DeclinesAMissingValueAndRowsOfDifferentWidths_WhichParquetNetThenReads()
    {
        // A missing element (nullable elements) in group 0; a short row in group 1; group 2 has every value
        // (its elements are nullable, but none is missing), so it is read.
        var rows = BatchFiles.Features(300);
        rows[130] = rows[130][..^1];
        var path = _temp.Combine("in.parquet");
        await BatchFiles.WriteParquetAsync(path, rows, groupRows: 128, missing: (20, 3));

        var read = await ReadGroupsAsync<float>(path);

        Assert.Equal([-1, -1, BatchFiles.Width], read.Select(g => g.Width));
        Assert.Equal(rows.Skip(256).SelectMany(r => r), read[2].Values);

        var clean = _temp.Combine("clean.parquet");
        await BatchFiles.WriteParquetAsync(clean, [.. rows.Where(r => r.Length == BatchFiles.Width)], groupRows: 128);
        var cleanRead = await ReadGroupsAsync<float>(clean);
        Assert.All(cleanRead, g => Assert.Equal(BatchFiles.Width, g.Width));
    }

    private static float[][] Rows(int count, int width, Func<int, float> first)
        => [.. Enumerable.Range(0, count).Select(r => Enumerable.Range(0, width).Select(e => first(r) + (e * 0.125f)).ToArray())];

    private static int[] Full(DataField leaf, int count) => Enumerable.Repeat(leaf.MaxDefinitionLevel, count).ToArray();

    private static async Task WriteAsync(string path, float[][] rows, int width, int groupRows, CompressionMethod codec)
    {
        var schema = new ParquetSchema(new DataField<long>("id"), new ListField("features", new DataField<float>("element")));
        var leaves = schema.GetDataFields();
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, ParquetFiles.Options(codec));
        for (var start = 0; start < rows.Length; start += groupRows)
        {
            var count = Math.Min(groupRows, rows.Length - start);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(leaves[0], Enumerable.Range(start, count).Select(i => (long)i).ToArray());
            var values = rows.Skip(start).Take(count).SelectMany(r => r).ToArray();
            var repetitions = Enumerable.Range(0, values.Length).Select(i => i % width == 0 ? 0 : 1).ToArray();
            await group.WriteAllPartsAsync<float>(leaves[1], values, Full(leaves[1], values.Length), repetitions, CancellationToken.None);
            group.CompleteValidate();
        }
    }

    // Every row group's list column ("features", the last leaf) through the list reader.
    private static async Task<List<(int Rows, int Width, T[] Values)>> ReadGroupsAsync<T>(string path)
        where T : unmanaged
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        using var lists = ParquetListColumnReader.Open(path);
        var leaf = reader.Schema.GetDataFields()[^1];
        var groups = new List<(int, int, T[])>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var chunk = group.GetMetadata(leaf)!;
            var values = new T[chunk.MetaData!.NumValues];
            var width = await lists.TryReadAsync(chunk, leaf, (int)group.RowCount, values, CancellationToken.None);
            groups.Add(((int)group.RowCount, width, values));
        }

        return groups;
    }
}
