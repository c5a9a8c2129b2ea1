using Parquet.Schema;
using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

/// <summary>Where each row of a column chunk starts, from its levels: the vectorized search against a walk level by level.</summary>
public sealed class ParquetRowStartsTests
{
    [Fact]
    public void RowStarts_FixedWidthList_RowsStartEveryWidthLevels()
    {
        var leaf = ListLeaf();
        const int Rows = 5;
        const int Width = 1024;
        var definitions = Enumerable.Repeat(leaf.MaxDefinitionLevel, Rows * Width).ToArray();
        var repetitions = Enumerable.Range(0, Rows * Width).Select(i => i % Width == 0 ? 0 : 1).ToArray();

        var (levelStarts, valueStarts) = ParquetColumnData.RowStarts(leaf, Rows, definitions, repetitions);

        Assert.Equal([0, 1024, 2048, 3072, 4096, 5120], levelStarts);
        Assert.Equal(levelStarts, valueStarts);
    }

    [Fact]
    public void RowStarts_ListsOfVaryingLengthWithMissingValuesAndEmptyLists_MatchALevelByLevelWalk()
    {
        var leaf = ListLeaf();
        var random = new Random(7);
        var definitions = new List<int>();
        var repetitions = new List<int>();
        const int Rows = 200;
        for (var r = 0; r < Rows; r++)
        {
            var length = random.Next(0, 40);
            if (length == 0)
            {
                // An empty (or null) list: one level, below the leaf's definition level.
                definitions.Add(random.Next(0, leaf.MaxDefinitionLevel));
                repetitions.Add(0);
                continue;
            }

            for (var i = 0; i < length; i++)
            {
                definitions.Add(random.Next(10) == 0 ? leaf.MaxDefinitionLevel - 1 : leaf.MaxDefinitionLevel);
                repetitions.Add(i == 0 ? 0 : 1);
            }
        }

        var (levelStarts, valueStarts) = ParquetColumnData.RowStarts(leaf, Rows, definitions.ToArray(), repetitions.ToArray());

        var (expectedLevels, expectedValues) = Walk(leaf, Rows, definitions, repetitions);
        Assert.Equal(expectedLevels, levelStarts);
        Assert.Equal(expectedValues, valueStarts);
    }

    [Fact]
    public void RowStarts_CompleteListsOfVaryingLength_MatchALevelByLevelWalk()
    {
        var leaf = ListLeaf();
        var lengths = new[] { 1, 30, 2, 1, 64, 3 };
        var definitions = lengths.SelectMany(n => Enumerable.Repeat(leaf.MaxDefinitionLevel, n)).ToList();
        var repetitions = lengths.SelectMany(n => Enumerable.Range(0, n).Select(i => i == 0 ? 0 : 1)).ToList();

        var (levelStarts, valueStarts) = ParquetColumnData.RowStarts(leaf, lengths.Length, definitions.ToArray(), repetitions.ToArray());

        Assert.Equal([0, 1, 31, 33, 34, 98, 101], levelStarts);
        Assert.Equal(Walk(leaf, lengths.Length, definitions, repetitions).Values, valueStarts);
    }

    [Fact]
    public void RowStarts_FlatNullableColumn_CountsOnlyPresentValues()
    {
        var leaf = new ParquetSchema(new DataField<float?>("x")).GetDataFields()[0];
        int[] definitions = [1, 0, 1, 1, 0];

        var (levelStarts, valueStarts) = ParquetColumnData.RowStarts(leaf, 5, definitions, new int[5]);

        Assert.Equal([0, 1, 2, 3, 4, 5], levelStarts);
        Assert.Equal([0, 1, 1, 2, 3, 3], valueStarts);
    }

    private static DataField ListLeaf() => new ParquetSchema(new ListField("features", new DataField<float>("element"))).GetDataFields()[0];

    // The reference: every level in turn, a row at each repetition level 0, a value at each full definition level.
    private static (int[] Levels, int[] Values) Walk(DataField leaf, int rows, List<int> definitions, List<int> repetitions)
    {
        var levels = new int[rows + 1];
        var values = new int[rows + 1];
        var row = -1;
        var value = 0;
        for (var i = 0; i < definitions.Count; i++)
        {
            if (repetitions[i] == 0)
            {
                row++;
                levels[row] = i;
                values[row] = value;
            }

            value += definitions[i] == leaf.MaxDefinitionLevel ? 1 : 0;
        }

        levels[rows] = definitions.Count;
        values[rows] = value;
        return (levels, values);
    }
}
