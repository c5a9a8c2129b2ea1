// Helpers for benchmarks/batch/run.sh:
//   csv     --rows N --width W --prefix NAME --output FILE            id + NAME_0..NAME_{W-1}, floats in [-1,1] (4 decimals), seed 1
//   parquet --rows N --width W --name NAME --row-group R --output FILE  id (INT64) + a list column NAME of FP32, seed 1
//   naive   --model FILE --input CSV --output CSV                      the plain loop a user would write: read the CSV line by
//           line, parse, one InferenceSession.Run per row, write the probabilities; prints {"rows":N,"seconds":S}
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Parquet;
using Parquet.Schema;

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i]] = args[i + 1];
}

string Get(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"missing {name}");
int Int(string name) => int.Parse(Get(name), CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "csv":
        WriteCsv(Int("--rows"), Int("--width"), Get("--prefix"), Get("--output"));
        return 0;
    case "parquet":
        await WriteParquetAsync(Int("--rows"), Int("--width"), Get("--name"), Int("--row-group"), Get("--output"));
        return 0;
    case "naive":
        Naive(Get("--model"), Get("--input"), Get("--output"));
        return 0;
    default:
        Console.Error.WriteLine("usage: BatchBaseline csv|parquet|naive ... (see Program.cs)");
        return 2;
}

static void WriteCsv(int rows, int width, string prefix, string output)
{
    var random = new Random(1);
    using var writer = new StreamWriter(output, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
    writer.WriteLine("id," + string.Join(',', Enumerable.Range(0, width).Select(i => $"{prefix}_{i}")));
    var line = new StringBuilder();
    for (var r = 0; r < rows; r++)
    {
        line.Clear().Append(r.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < width; i++)
        {
            line.Append(',').Append(Math.Round((random.NextDouble() * 2) - 1, 4).ToString(CultureInfo.InvariantCulture));
        }

        writer.WriteLine(line);
    }
}

static async Task WriteParquetAsync(int rows, int width, string name, int rowGroup, string output)
{
    var random = new Random(1);
    var schema = new ParquetSchema(new DataField<long>("id"), new ListField(name, new DataField<float>("element")));
    var leaves = schema.GetDataFields();
    await using var stream = File.Create(output);
    await using var writer = await ParquetWriter.CreateAsync(schema, stream);
    for (var start = 0; start < rows; start += rowGroup)
    {
        var count = Math.Min(rowGroup, rows - start);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(leaves[0], Enumerable.Range(start, count).Select(i => (long)i).ToArray());
        var values = new float[count * width];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var definitions = new int[values.Length];
        Array.Fill(definitions, leaves[1].MaxDefinitionLevel);
        var repetitions = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            repetitions[i] = i % width == 0 ? 0 : 1;
        }

        await group.WriteAllPartsAsync<float>(leaves[1], values, definitions, repetitions, CancellationToken.None);
        group.CompleteValidate();
    }
}

static void Naive(string model, string input, string output)
{
    var started = Stopwatch.GetTimestamp();
    using var session = new InferenceSession(model);
    var inputName = session.InputMetadata.Keys.First();
    var width = session.InputMetadata[inputName].Dimensions[1];
    using var reader = new StreamReader(input);
    using var writer = new StreamWriter(output) { NewLine = "\n" };
    reader.ReadLine();
    writer.WriteLine("id,probabilities_0,probabilities_1");
    var rows = 0;
    string? line;
    while ((line = reader.ReadLine()) is not null)
    {
        var cells = line.Split(',');
        var features = new float[width];
        for (var i = 0; i < width; i++)
        {
            features[i] = float.Parse(cells[i + 1], CultureInfo.InvariantCulture);
        }

        var tensor = new DenseTensor<float>(features, [1, width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        var p = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        writer.WriteLine($"{cells[0]},{p[0].ToString(CultureInfo.InvariantCulture)},{p[1].ToString(CultureInfo.InvariantCulture)}");
        rows++;
    }

    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    Console.WriteLine($"{{\"rows\":{rows},\"seconds\":{seconds.ToString("F3", CultureInfo.InvariantCulture)}}}");
}
