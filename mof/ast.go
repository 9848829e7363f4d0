package mof

// File is the syntax tree of one MOF file.
type File struct {
	Name  string
	Decls []Decl
}

// Decl is a top-level declaration: *Pragma, *QualifierDecl, *ClassDecl or
// *InstanceDecl.
type Decl interface {
	Pos() Pos
	declNode()
}

// Pragma is a compiler directive: #pragma Name("Value").
type Pragma struct {
	Hash     Pos
	Name     string
	NamePos  Pos
	Value    string
	ValuePos Pos
}

// QualifierDecl is a qualifier declaration (DSP0004 Annex A qualifierDeclaration).
type QualifierDecl struct {
	Start     Pos // the Qualifier keyword
	Name      string
	NamePos   Pos
	Type      string
	TypePos   Pos
	IsArray   bool
	ArraySize int // 0: variable size
	Default   *Value
	Scopes    []Ident
	ScopePos  Pos // the Scope keyword
	Flavors   []Ident
}

// Ident is a name with its position.
type Ident struct {
	Name string
	Pos  Pos
}

// Qualifier is one qualifier of a qualifier list, [Name(Value): Flavor Flavor].
type Qualifier struct {
	Name    string
	NamePos Pos
	Value   *Value // nil when only the name is given
	Flavors []Ident
}

// ClassDecl is a class, association or indication declaration.
type ClassDecl struct {
	Start      Pos // the first '[' or the class keyword
	Qualifiers []Qualifier
	Name       string
	NamePos    Pos
	Alias      string
	SuperClass string
	SuperPos   Pos
	Properties []*PropertyDecl
	Methods    []*MethodDecl
	End        Pos // the closing brace
}

// PropertyDecl is a property or, when RefClass is set, a reference.
type PropertyDecl struct {
	Qualifiers []Qualifier
	Type       string // data type name; "" for a reference
	TypePos    Pos
	RefClass   string // class of a reference
	Name       string
	NamePos    Pos
	IsArray    bool
	ArraySize  int
	Default    *Value
}

// MethodDecl is a method.
type MethodDecl struct {
	Qualifiers []Qualifier
	ReturnType string
	TypePos    Pos
	Name       string
	NamePos    Pos
	Params     []*ParamDecl
}

// ParamDecl is a method parameter.
type ParamDecl struct {
	Qualifiers []Qualifier
	Type       string
	TypePos    Pos
	RefClass   string
	Name       string
	NamePos    Pos
	IsArray    bool
	ArraySize  int
	Default    *Value
}

// InstanceDecl is an instance declaration: instance of Class as $Alias { … };
type InstanceDecl struct {
	Start      Pos
	Qualifiers []Qualifier
	ClassName  string
	ClassPos   Pos
	Alias      string
	AliasPos   Pos
	Properties []*PropertyValue
	End        Pos
}

// PropertyValue is one property assignment of an instance.
type PropertyValue struct {
	Qualifiers []Qualifier
	Name       string
	NamePos    Pos
	Value      Value
}

func (d *Pragma) Pos() Pos        { return d.Hash }
func (d *QualifierDecl) Pos() Pos { return d.Start }
func (d *ClassDecl) Pos() Pos     { return d.Start }
func (d *InstanceDecl) Pos() Pos  { return d.Start }

func (*Pragma) declNode()        {}
func (*QualifierDecl) declNode() {}
func (*ClassDecl) declNode()     {}
func (*InstanceDecl) declNode()  {}

// ValueKind says what a Value holds.
type ValueKind uint8

// The kinds of values.
const (
	NullValue ValueKind = iota
	BoolValue
	IntValue    // Int holds the magnitude, Neg the sign
	RealValue   // Real
	StringValue // Str, decoded and concatenated
	CharValue   // Str holds the one character
	AliasValue  // Str holds the alias name without '$'
	ArrayValue  // Elems
)

var valueKindNames = [...]string{
	NullValue: "NULL", BoolValue: "boolean", IntValue: "integer", RealValue: "real",
	StringValue: "string", CharValue: "char16", AliasValue: "alias", ArrayValue: "array",
}

func (k ValueKind) String() string { return valueKindNames[k] }

// Value is a literal: a constant, an array of constants or an alias reference.
type Value struct {
	Pos   Pos
	Kind  ValueKind
	Bool  bool
	Neg   bool
	Int   uint64
	Real  float64
	Str   string
	Text  string // the literal as written, for integers and reals
	Elems []Value
	// Overflow is set when an integer literal does not fit in 64 bits.
	Overflow bool
}
