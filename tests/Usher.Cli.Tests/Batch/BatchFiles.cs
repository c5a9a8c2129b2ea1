using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>Input files for <c>usher batch</c> tests: fraud rows from a fixed seed, and the reference answers.</summary>
internal static class BatchFiles
{
    public const int Width = SampleModels.FraudFeatures;

    /// <summary><paramref name="rows"/> rows of 30 features in [-1, 1], with 4 decimals (so text round-trips exactly).</summary>
    public static float[][] Features(int rows, int seed = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, Width).Select(_ => (float)Math.Round((random.NextDouble() * 2) - 1, 4)).ToArray())];
    }

    /// <summary>A CSV with <c>id</c> then <c>features_0</c> ... <c>features_29</c>; <paramref name="cell"/> may replace a cell's text.</summary>
    public static void WriteCsv(string path, float[][] rows, Func<int, int, string?>? cell = null)
    {
        var text = new StringBuilder("id," + string.Join(',', Enumerable.Range(0, Width).Select(i => $"features_{i}")) + "\n");
        for (var r = 0; r < rows.Length; r++)
        {
            text.Append(r.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i < Width; i++)
            {
                text.Append(',').Append(cell?.Invoke(r, i) ?? rows[r][i].ToString(CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>A JSONL file of <c>{"id": "r0", "features": [...]}</c>.</summary>
    public static void WriteJsonl(string path, float[][] rows)
        => File.WriteAllLines(path, rows.Select((r, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = $"r{i}", ["features"] = r })));

    /// <summary>
    /// A Parquet file with <c>id</c> (INT64) and a list column <c>features</c>, <paramref name="groupRows"/> rows per row group;
    /// each row's list as long as its array. With <paramref name="missing"/>, the list's elements are nullable and that row's element is left out.
    /// </summary>
    public static async Task WriteParquetAsync(string path, float[][] rows, int groupRows, (int Row, int Element)? missing = null)
    {
        var id = new DataField<long>("id");
        DataField element = missing is null ? new DataField<float>("element") : new DataField<float?>("element");
        var schema = new ParquetSchema(id, new ListField("features", element));
        var leaves = schema.GetDataFields();
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        for (var start = 0; start < rows.Length; start += groupRows)
        {
            var count = Math.Min(groupRows, rows.Length - start);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(leaves[0], Enumerable.Range(start, count).Select(i => (long)i).ToArray());
            var values = new List<float>();
            var definitions = new List<int>();
            var repetitions = new List<int>();
            for (var r = start; r < start + count; r++)
            {
                for (var e = 0; e < rows[r].Length; e++)
                {
                    repetitions.Add(e == 0 ? 0 : 1);
                    var absent = (r, e) == missing;
                    definitions.Add(leaves[1].MaxDefinitionLevel - (absent ? 1 : 0));
                    if (!absent)
                    {
                        values.Add(rows[r][e]);
                    }
                }
            }

            await group.WriteAllPartsAsync<float>(leaves[1], values.ToArray(), definitions.ToArray(), repetitions.ToArray(), CancellationToken.None);
            group.CompleteValidate();
        }
    }

    /// <summary>The fraud classifier's probabilities for one row, computed in double precision by a plain loop.</summary>
    public static double[] Expected(float[] features, int version = 2)
        => ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(version), features));

    /// <summary>ONNX Runtime's FP32 result against the double-precision reference: within 1e-5.</summary>
    public static void AssertNear(double expected, double actual)
        => Assert.True(Math.Abs(expected - actual) <= 1e-5, $"expected {expected} within 1e-5, got {actual}");

    /// <summary>A repository with the committed fraud sample.</summary>
    public static string Repository(TempDirectory temp)
    {
        var repository = temp.Combine("models");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        return repository;
    }

    /// <summary>A CSV output's lines, split (the outputs hold no quoted cells).</summary>
    public static string[][] ReadCsv(string path) => [.. File.ReadAllLines(path).Select(l => l.Split(','))];
}
