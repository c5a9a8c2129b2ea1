using Parquet;
using Parquet.Schema;
using Usher.Cli.Batch;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetConcatenationTests : IDisposable
{
    private static readonly DataField<long> Id = new("id");
    private static readonly DataField Note = new("note", typeof(string), isNullable: true);
    private static readonly ListField Features = new("features", new DataField<float>("element"));
    private static readonly ParquetSchema Schema = new(Id, Note, Features);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task WriteAsync_JoinsThePartsRowGroupsInOrder_WithTheirBytesAsTheyAre()
    {
        Assert.True(ParquetConcatenation.IsAvailable, "Parquet.Net's footer writer was not found: the batch output falls back to re-encoding");
        var parts = new List<string>();
        var firstRow = 0;
        foreach (var rows in new[] { 3, 1, 4 })
        {
            var path = _temp.Combine($"part-{parts.Count}.parquet");
            await WritePartAsync(path, firstRow, rows);
            parts.Add(path);
            firstRow += rows;
        }

        var output = _temp.Combine("joined.parquet");
        await using (var stream = File.Create(output))
        {
            await ParquetConcatenation.WriteAsync(parts, stream, CancellationToken.None);
        }

        // Every row, from an independent reader, in order: id i, note "n{i}" except every third null, features [i, i + 0.5].
        await using var reader = await ParquetReader.CreateAsync(output);
        Assert.Equal(3, reader.RowGroupCount);
        var leaves = reader.Schema.GetDataFields();
        var ids = new List<long>();
        var notes = new List<string?>();
        var features = new List<float>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = (int)group.RowCount;
            var idValues = new long[count];
            await group.ReadAsync<long>(leaves[0], idValues);
            var noteValues = new string?[count];
            await group.ReadAsync(leaves[1], noteValues.AsMemory(), null);
            var levels = (int)group.GetMetadata(leaves[2])!.MetaData!.NumValues;
            var values = new float[levels];
            await group.ReadRawAsync<float>(leaves[2], values, new int[levels], new int[levels]);
            ids.AddRange(idValues);
            notes.AddRange(noteValues);
            features.AddRange(values);
        }

        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), ids);
        Assert.Equal(Enumerable.Range(0, 8).Select(NoteOf), notes);
        Assert.Equal(Enumerable.Range(0, 8).SelectMany(i => new[] { i, i + 0.5f }), features);

        // No re-encoding: the output is the parts' row group bytes back to back, plus one footer.
        var joined = await File.ReadAllBytesAsync(output);
        var at = 4;
        foreach (var part in parts)
        {
            var bytes = await File.ReadAllBytesAsync(part);
            var data = bytes.AsSpan(4, bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8) - 4);
            Assert.True(joined.AsSpan(at, data.Length).SequenceEqual(data), $"{Path.GetFileName(part)}'s row group is not in the output as it was written");
            at += data.Length;
        }
    }

    private static string? NoteOf(int row) => row % 3 == 2 ? null : $"n{row}";

    private static async Task WritePartAsync(string path, int firstRow, int rows)
    {
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream);
        using var group = writer.CreateRowGroup();
        var leaves = Schema.GetDataFields();
        await group.WriteAsync<long>(leaves[0], Enumerable.Range(firstRow, rows).Select(i => (long)i).ToArray());
        await group.WriteAsync(leaves[1], Enumerable.Range(firstRow, rows).Select(NoteOf).ToArray()!, null);
        var values = Enumerable.Range(firstRow, rows).SelectMany(i => new[] { i, i + 0.5f }).ToArray();
        var definitions = Enumerable.Repeat(leaves[2].MaxDefinitionLevel, values.Length).ToArray();
        var repetitions = Enumerable.Range(0, values.Length).Select(i => i % 2 == 0 ? 0 : 1).ToArray();
        await group.WriteAllPartsAsync<float>(leaves[2], values, definitions, repetitions, CancellationToken.None);
        group.CompleteValidate();
    }
}
