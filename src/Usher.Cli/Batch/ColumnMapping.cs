using System.Globalization;

namespace Usher.Cli.Batch;

/// <summary>
/// Which input columns feed which model inputs, and which are copied to the output (<c>--keep</c>).
/// For a model input <c>features</c> of width W, in order of preference: the columns of an explicit
/// <c>--columns features=C1,C2,...</c> (or one list column), a list column named <c>features</c>,
/// a column named <c>features</c> when W is 1, or the columns <c>features_0</c> ... <c>features_{W-1}</c>.
/// </summary>
internal sealed record ColumnMapping(IReadOnlyList<SourceColumn> Columns, IReadOnlyList<InputBinding> Inputs, IReadOnlyList<int> Keep)
{
    /// <summary>The kept columns, in the order of <c>--keep</c>.</summary>
    public IReadOnlyList<SourceColumn> KeptColumns => [.. Keep.Select(k => Columns[k])];

    /// <summary>The columns the readers must parse: every bound and kept column.</summary>
    public IEnumerable<int> UsedColumns => Inputs.SelectMany(b => b.ListColumn >= 0 ? [b.ListColumn] : b.Columns).Concat(Keep).Distinct();

    /// <summary>
    /// Maps <paramref name="model"/>'s inputs onto <paramref name="columns"/>; null with one problem
    /// per input or column that does not fit, each naming what was expected.
    /// </summary>
    public static ColumnMapping? Resolve(BatchModel model, IReadOnlyList<SourceColumn> columns, IReadOnlyDictionary<string, IReadOnlyList<string>> explicitColumns, IReadOnlyList<string> keep, List<string> problems)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            byName.TryAdd(columns[i].Name, i);
        }

        var have = columns.Count == 0 ? "none" : string.Join(", ", columns.Take(12).Select(c => c.IsList ? c.Name + "[]" : c.Name)) + (columns.Count > 12 ? $", ... ({columns.Count} in all)" : string.Empty);
        foreach (var name in explicitColumns.Keys.Where(k => model.Inputs.All(i => i.Name != k)))
        {
            problems.Add($"--columns {name}=...: model '{model.Name}' has no input '{name}'; its inputs: {string.Join(", ", model.Inputs.Select(i => i.Describe()))}");
        }

        var bindings = new List<InputBinding>();
        foreach (var input in model.Inputs)
        {
            var binding = explicitColumns.TryGetValue(input.Name, out var named)
                ? Explicit(input, named, byName, columns, have, problems)
                : Implicit(input, byName, columns, have, problems);
            if (binding is not null)
            {
                bindings.Add(binding);
            }
        }

        var kept = new List<int>();
        foreach (var name in keep)
        {
            if (byName.TryGetValue(name, out var k))
            {
                kept.Add(k);
            }
            else
            {
                problems.Add($"--keep {name}: the input has no column '{name}'; its columns: {have}");
            }
        }

        var outputNames = model.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var clash in keep.Where(outputNames.Contains))
        {
            problems.Add($"--keep {clash}: the output already has a column '{clash}' (a model output); keep another column or rename it");
        }

        return problems.Count > 0 ? null : new ColumnMapping(columns, bindings, kept);
    }

    private static InputBinding? Explicit(BatchTensor input, IReadOnlyList<string> named, Dictionary<string, int> byName, IReadOnlyList<SourceColumn> columns, string have, List<string> problems)
    {
        var missing = named.Where(n => !byName.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"--columns {input.Name}=...: the input has no column {string.Join(", ", missing.Select(m => $"'{m}'"))}; its columns: {have}");
            return null;
        }

        if (named.Count == 1 && columns[byName[named[0]]].IsList)
        {
            return new InputBinding(input, byName[named[0]], []);
        }

        if (named.Count != input.Width)
        {
            problems.Add($"--columns {input.Name}=...: input {input.Describe()} takes {input.Width} values per row, got {named.Count} columns");
            return null;
        }

        var list = named.Where(n => columns[byName[n]].IsList).ToList();
        if (list.Count > 0)
        {
            problems.Add($"--columns {input.Name}=...: {string.Join(", ", list)} is a list column; name one list column alone, or scalar columns");
            return null;
        }

        return new InputBinding(input, -1, [.. named.Select(n => byName[n])]);
    }

    private static InputBinding? Implicit(BatchTensor input, Dictionary<string, int> byName, IReadOnlyList<SourceColumn> columns, string have, List<string> problems)
    {
        if (byName.TryGetValue(input.Name, out var same))
        {
            if (columns[same].IsList)
            {
                return new InputBinding(input, same, []);
            }

            if (input.Width == 1)
            {
                return new InputBinding(input, -1, [same]);
            }
        }

        var indexed = new List<int>(input.Width);
        for (var i = 0; i < input.Width; i++)
        {
            if (!byName.TryGetValue(input.Name + "_" + i.ToString(CultureInfo.InvariantCulture), out var at))
            {
                break;
            }

            indexed.Add(at);
        }

        if (indexed.Count == input.Width && indexed.All(i => !columns[i].IsList))
        {
            return new InputBinding(input, -1, indexed);
        }

        var last = (input.Width - 1).ToString(CultureInfo.InvariantCulture);
        problems.Add($"input {input.Describe()}: expected columns {input.Name}_0 ... {input.Name}_{last}, a list column '{input.Name}', or --columns {input.Name}=C1,C2,...; "
            + (indexed.Count > 0 ? $"found {input.Name}_0 ... {input.Name}_{(indexed.Count - 1).ToString(CultureInfo.InvariantCulture)} only; " : string.Empty)
            + $"the input has columns: {have}");
        return null;
    }
}
