using System.Data.Common;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// A fault in the state store (<see cref="IFaultStore"/>): the variant it applies to, the fault, and
/// when and by whom it was set. It also says how both stores lay it out in the <c>faults</c> table;
/// each store says only how it writes and reads a timestamp.
/// </summary>
/// <param name="Variant">The variant (<c>fraud:2</c>).</param>
/// <param name="Fault">What is injected.</param>
/// <param name="SetAt">When it was set.</param>
/// <param name="SetBy">Who set it (the admin token's name, or <c>operator</c>).</param>
internal sealed record StoredFault(string Variant, FaultSpec Fault, DateTimeOffset SetAt, string SetBy)
{
    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns = "variant, abort_fraction, abort_status, delay_ms, delay_fraction, set_at, set_by";

    /// <summary>The insert-or-replace of a fault, its parameters named after the columns with <paramref name="marker"/> (<c>$</c> or <c>@</c>) before them.</summary>
    public static string Upsert(char marker)
    {
        var columns = Columns.Split(", ");
        return $"INSERT INTO faults({Columns}) VALUES ({string.Join(", ", columns.Select(c => marker + c))}) "
            + $"ON CONFLICT (variant) DO UPDATE SET {string.Join(", ", columns.Skip(1).Select(c => $"{c} = excluded.{c}"))}";
    }

    /// <summary>The values of the columns by name, the timestamp as <paramref name="time"/> gives it.</summary>
    public IEnumerable<(string Column, object Value)> Values(Func<DateTimeOffset, object> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        yield return ("variant", Variant);
        yield return ("abort_fraction", Fault.AbortFraction);
        yield return ("abort_status", Fault.AbortStatus);
        yield return ("delay_ms", Fault.DelayMs);
        yield return ("delay_fraction", Fault.DelayFraction);
        yield return ("set_at", time(SetAt));
        yield return ("set_by", SetBy);
    }

    /// <summary>Reads a row of <see cref="Columns"/>, the timestamp with <paramref name="time"/>.</summary>
    public static StoredFault Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(time);
        return new StoredFault(
            reader.GetString(0),
            new FaultSpec(reader.GetDouble(1), reader.GetInt32(2), reader.GetDouble(3), reader.GetDouble(4)),
            time(reader, 5),
            reader.GetString(6));
    }
}
