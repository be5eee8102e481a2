// Hand-written support for the generated typed operations (Operations.swift): the JSON
// value of free-form members, and the JSON encoding and decoding of inputs and results.
// Foundation only. UNTESTED (written on Linux, no Swift toolchain): compile it on macOS.
import Foundation

/// Any JSON value: what a free-form member of the spec (type `object`) holds, e.g.
/// `CheckSecrets`'s `data`. Literals work: `["type": "password", "length": 16]`.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null:
            try container.encodeNil()
        case .bool(let value):
            try container.encode(value)
        case .number(let value):
            try container.encode(value)
        case .string(let value):
            try container.encode(value)
        case .array(let value):
            try container.encode(value)
        case .object(let value):
            try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object: [String: JSONValue] = [:]
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

/// The input JSON (wire names) of a generated input struct. A value JSON cannot hold (a
/// non-finite number) is a `CsmsException.Validation` naming the member.
func csmsEncode<Input: Encodable>(_ input: Input) throws -> String {
    do {
        let data = try JSONEncoder().encode(input)
        return String(decoding: data, as: UTF8.self)
    } catch let error as EncodingError {
        if case let .invalidValue(_, context) = error {
            throw CsmsException.Validation(field: csmsPath(context.codingPath), reason: context.debugDescription)
        }
        throw CsmsException.Validation(field: "", reason: "\(error)")
    }
}

/// The typed result of `operation` from the JSON text `CsmsClient.call` returned. A member of
/// another type than the spec's is a `CsmsException.Decode` whose reason names its path (wire
/// names, e.g. `version.version_metadata.id`); its status is 0 and its request id empty,
/// since the response is no longer known at this point (the core has already checked it).
func csmsDecode<Output: Decodable>(_ type: Output.Type, operation: String, json: String) throws -> Output {
    do {
        return try JSONDecoder().decode(type, from: Data(json.utf8))
    } catch let error as DecodingError {
        throw CsmsException.Decode(reason: "\(operation) result: \(csmsDescribe(error))", status: 0, requestId: "")
    }
}

func csmsDescribe(_ error: DecodingError) -> String {
    if case let .typeMismatch(expected, context) = error {
        return "`\(csmsPath(context.codingPath))` is not \(expected): \(context.debugDescription)"
    }
    if case let .valueNotFound(expected, context) = error {
        return "`\(csmsPath(context.codingPath))` is null, not \(expected): \(context.debugDescription)"
    }
    if case let .keyNotFound(key, context) = error {
        return "`\(csmsPath(context.codingPath + [key]))` is missing: \(context.debugDescription)"
    }
    if case let .dataCorrupted(context) = error {
        return "`\(csmsPath(context.codingPath))`: \(context.debugDescription)"
    }
    return "\(error)"
}

/// A coding path as text: `secrets[2].name` (wire names), `(top level)` when empty.
func csmsPath(_ codingPath: [CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return path.isEmpty ? "(top level)" : path
}

/// How `description` shows a member: `nil`, or the value as `debugPrint` shows it.
func csmsShow<Value>(_ value: Value?) -> String {
    guard let value = value else { return "nil" }
    return String(reflecting: value)
}

/// How `description` shows a member the spec marks sensitive: `nil` or `***`.
func csmsHide<Value>(_ value: Value?) -> String {
    return value == nil ? "nil" : "***"
}
