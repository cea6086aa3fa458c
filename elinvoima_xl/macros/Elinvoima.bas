Attribute VB_Name = "Elinvoima"
Option Explicit
' Callbacks of the ribbon tab "Elinvoima" (customUI14.xml). Each runs one job of
' elinvoima_xl.ribbon in Python through xlwings' RunPython; the job reports its progress
' in the status bar and any error in a message box, in Finnish.

Public Sub TuoKirjanpito(control As IRibbonControl)
    Dim ledger As Variant, budget As Variant
    ledger = Application.GetOpenFilename("Kirjanpidon raportti (*.csv;*.xlsx),*.csv;*.xlsx", , _
                                         "Valitse kirjanpidon raportti")
    If VarType(ledger) = vbBoolean Then Exit Sub
    budget = Application.GetOpenFilename("Talousarvio (*.csv;*.xlsx),*.csv;*.xlsx", , _
                                         "Valitse talousarviotiedosto (Peruuta, jos talousarvio on raportissa)")
    If VarType(budget) = vbBoolean Then budget = ""
    RunPython "import elinvoima_xl.ribbon as r; r.tuo_kirjanpito(" & PyString(CStr(ledger)) & ", " & _
              PyString(CStr(budget)) & ")"
End Sub

Public Sub LuoValilehdet(control As IRibbonControl)
    RunPython "import elinvoima_xl.ribbon as r; r.luo_valilehdet()"
End Sub

Public Sub PaivitaYhteenveto(control As IRibbonControl)
    RunPython "import elinvoima_xl.ribbon as r; r.paivita_yhteenveto()"
End Sub

Public Sub TarkistaSummat(control As IRibbonControl)
    RunPython "import elinvoima_xl.ribbon as r; r.tarkista_summat()"
End Sub

Public Sub LahetaPalvelualueille(control As IRibbonControl)
    RunPython "import elinvoima_xl.ribbon as r; r.laheta_palvelualueille()"
End Sub

Public Sub KeraaVastaukset(control As IRibbonControl)
    RunPython "import elinvoima_xl.ribbon as r; r.keraa_vastaukset()"
End Sub

Private Function PyString(text As String) As String
    ' A Python string literal for a path: backslashes and quotes escaped.
    PyString = "'" & Replace(Replace(text, "\", "\\"), "'", "\'") & "'"
End Function
