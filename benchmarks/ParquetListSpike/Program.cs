// CPU per row to decode and encode a required list<float> of WIDTH values per row (mlp-large's input
// and output), one row group of ROWS rows, uncompressed, in memory:
//   Parquet.Net 6.1 as usher batch uses it (ReadRawAsync into reused buffers; WriteAllPartsAsync with levels)
//   ParquetSharp's low-level column reader and writer (ReadBatch / WriteBatch over spans of values and levels).
// Usage: dotnet ParquetListSpike.dll [--rows 8192] [--width 1024] [--repeat 10]
using System.Diagnostics;
using Parquet;
using Parquet.Schema;
using ParquetSharp;
using ParquetSharp.Schema;

var rows = Arg("--rows", 8192);
var width = Arg("--width", 1024);
var repeat = Arg("--repeat", 10);
var count = rows * width;
var random = new Random(1);
var values = new float[count];
for (var i = 0; i < count; i++)
{
    values[i] = (float)random.NextDouble();
}

var netSchema = new ParquetSchema(new ListField("input", new DataField<float>("element")));
var netLeaf = netSchema.GetDataFields()[0];
var netDefinitions = new int[count];
var netRepetitions = new int[count];
Array.Fill(netDefinitions, netLeaf.MaxDefinitionLevel);
for (var i = 0; i < count; i++)
{
    netRepetitions[i] = i % width == 0 ? 0 : 1;
}

Console.WriteLine($"rows {rows}, width {width}, repeat {repeat}; Parquet.Net leaf max definition {netLeaf.MaxDefinitionLevel}, repetition {netLeaf.MaxRepetitionLevel}");

// Encode with Parquet.Net (as ParquetOutputFormat does).
byte[] netFile = [];
await Measure("Parquet.Net encode", async () =>
{
    using var stream = new MemoryStream(count * 4 + (1 << 16));
    await using (var writer = await ParquetWriter.CreateAsync(netSchema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.None }))
    {
        using var group = writer.CreateRowGroup();
        await group.WriteAllPartsAsync<float>(netLeaf, values.AsMemory(), netDefinitions.AsMemory(), netRepetitions.AsMemory(), CancellationToken.None);
        group.CompleteValidate();
    }

    netFile = stream.ToArray();
});

// Decode with Parquet.Net (as ParquetColumnData does).
var readValues = new float[count];
var readDefinitions = new int[count];
var readRepetitions = new int[count];
await Measure("Parquet.Net decode", async () =>
{
    using var stream = new MemoryStream(netFile, writable: false);
    await using var reader = await ParquetReader.CreateAsync(stream);
    var leaf = reader.Schema.GetDataFields()[0];
    using var group = reader.OpenRowGroupReader(0);
    await group.ReadRawAsync(leaf, readValues.AsMemory(), readDefinitions.AsMemory(), readRepetitions.AsMemory());
});
Check("Parquet.Net decode", readValues);

// Encode with ParquetSharp, low level: the same schema shape (an optional list of required floats).
var sharpDefinitions = new short[count];
var sharpRepetitions = new short[count];
Array.Fill(sharpDefinitions, (short)netLeaf.MaxDefinitionLevel);
for (var i = 0; i < count; i++)
{
    sharpRepetitions[i] = (short)(i % width == 0 ? 0 : 1);
}

byte[] sharpFile = [];
foreach (var statistics in new[] { true, false })
{
await Measure($"ParquetSharp encode{(statistics ? "" : ", no statistics")}", () =>
{
    using var element = new PrimitiveNode("element", Repetition.Required, LogicalType.None(), PhysicalType.Float);
    using var list = new GroupNode("list", Repetition.Repeated, [element]);
    using var input = new GroupNode("input", Repetition.Optional, [list], LogicalType.List());
    using var root = new GroupNode("schema", Repetition.Required, [input]);
    using var builder = new WriterPropertiesBuilder().Compression(Compression.Uncompressed).DisableDictionary();
    using var properties = (statistics ? builder : builder.DisableStatistics()).Build();
    using var stream = new MemoryStream(count * 4 + (1 << 16));
    using (var writer = new ParquetFileWriter(stream, root, properties, leaveOpen: true))
    {
        using var group = writer.AppendRowGroup();
        using var column = (ColumnWriter<float>)group.NextColumn();
        column.WriteBatch(count, sharpDefinitions, sharpRepetitions, values);
        writer.Close();
    }

    sharpFile = stream.ToArray();
    return Task.CompletedTask;
});
}

// Encode with a writer of our own (levels as runs, plain values), from Parquet.Net's footer as the template.
byte[] ownFile = [];
await Measure("own writer encode", async () =>
{
    using var stream = new MemoryStream(netFile, writable: false);
    await using var reader = await ParquetReader.CreateAsync(stream);
    ownFile = ParquetListSpike.OwnListWriter.Write(values, width, netLeaf.MaxDefinitionLevel, reader.Metadata!);
});

Array.Clear(readValues);
{
    using var stream = new MemoryStream(ownFile, writable: false);
    await using var reader = await ParquetReader.CreateAsync(stream);
    using var group = reader.OpenRowGroupReader(0);
    await group.ReadRawAsync(reader.Schema.GetDataFields()[0], readValues.AsMemory(), readDefinitions.AsMemory(), readRepetitions.AsMemory());
    Check("Parquet.Net reading the own writer's file", readValues);
    if (readDefinitions.AsSpan().ContainsAnyExcept(netLeaf.MaxDefinitionLevel) || !readRepetitions.AsSpan().SequenceEqual(netRepetitions))
    {
        throw new InvalidOperationException("Parquet.Net reading the own writer's file: levels differ");
    }
}

// Decode with ParquetSharp, low level, every file.
var sharpReadDefinitions = new short[count];
var sharpReadRepetitions = new short[count];
foreach (var (name, file) in new[] { ("Parquet.Net's file", netFile), ("ParquetSharp's file", sharpFile), ("own writer's file", ownFile) })
{
    Array.Clear(readValues);
    await Measure($"ParquetSharp decode {name}", () =>
    {
        using var stream = new MemoryStream(file, writable: false);
        using var reader = new ParquetFileReader(stream, leaveOpen: true);
        using var group = reader.RowGroup(0);
        using var column = (ColumnReader<float>)group.Column(0);
        long levels = 0, read = 0;
        while (column.HasNext)
        {
            levels += column.ReadBatch(count - levels, sharpReadDefinitions.AsSpan((int)levels), sharpReadRepetitions.AsSpan((int)levels), readValues.AsSpan((int)read), out var got);
            read += got;
        }

        if (levels != count || read != count)
        {
            throw new InvalidOperationException($"read {levels} levels, {read} values");
        }

        return Task.CompletedTask;
    });
    Check($"ParquetSharp decode {name}", readValues);
}

Console.WriteLine($"file sizes: Parquet.Net {netFile.Length:N0} bytes, ParquetSharp {sharpFile.Length:N0} bytes, own writer {ownFile.Length:N0} bytes");

async Task Measure(string name, Func<Task> action)
{
    await action(); // warm-up
    GC.Collect();
    var process = Process.GetCurrentProcess();
    process.Refresh();
    var cpu = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    for (var i = 0; i < repeat; i++)
    {
        await action();
    }

    wall.Stop();
    process.Refresh();
    var used = process.TotalProcessorTime - cpu;
    Console.WriteLine($"{name,-40} cpu {used.TotalMicroseconds / repeat / rows,8:F2} us/row   wall {wall.Elapsed.TotalMicroseconds / repeat / rows,8:F2} us/row");
}

void Check(string name, float[] got)
{
    if (!got.AsSpan().SequenceEqual(values))
    {
        throw new InvalidOperationException($"{name}: values differ");
    }
}

int Arg(string flag, int fallback)
{
    var at = Array.IndexOf(args, flag);
    return at >= 0 ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
