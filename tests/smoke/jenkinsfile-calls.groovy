// Parses a Jenkinsfile with Groovy's own parser (syntax only: no Jenkins, no
// class resolution) and prints every method call, one a line, as its path of
// enclosing calls and its literal arguments:
//   pipeline/stages/stage[IRSA verify]/post/always/junit<TAB>testResults=x.xml ...
// and every assignment (the environment block's) as its path, $NAME and the value:
//   pipeline/environment/$NAMESPACE<TAB>my-namespace
// A syntax error fails the parse (exit 1). For tests/smoke-test.bats.
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.*
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

def unit = new CompilationUnit()
def source = unit.addSource(new File(args[0]))
unit.compile(Phases.CONVERSION)

def literal = { Expression e ->
    if (e instanceof ConstantExpression) return String.valueOf(e.value)
    if (e instanceof GStringExpression) return e.text
    if (e instanceof PropertyExpression || e instanceof VariableExpression) return e.text
    return null
}

class Calls extends CodeVisitorSupport {
    List<String> path = []
    Closure literal
    void visitMethodCallExpression(MethodCallExpression call) {
        def args = call.arguments instanceof TupleExpression ? call.arguments.expressions : [call.arguments]
        def words = []
        args.each { a ->
            if (a instanceof MapExpression) {
                a.mapEntryExpressions.each { m ->
                    def v = literal(m.valueExpression)
                    if (v != null) words << "${literal(m.keyExpression)}=${v}"
                }
            } else {
                def v = literal(a)
                if (v != null) words << v
            }
        }
        def name = call.methodAsString
        if (name == 'stage' && words) name = "stage[${words[0]}]"
        path << name
        println(path.join('/') + '\t' + words.join(' ').replaceAll(/\s+/, ' ').trim())
        super.visitMethodCallExpression(call)
        path.remove(path.size() - 1)
    }
    void visitBinaryExpression(BinaryExpression e) {
        def value = literal(e.rightExpression)
        if (e.operation.text == '=' && e.leftExpression instanceof VariableExpression && value != null) {
            println((path + ['$' + e.leftExpression.name]).join('/') + '\t' + value)
        }
        super.visitBinaryExpression(e)
    }
}

def visitor = new Calls(literal: literal)
source.AST.statementBlock.visit(visitor)
